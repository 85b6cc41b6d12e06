/* document.cookie throws in an opaque origin; tools that keep a setting in a
   cookie get a jar that lives as long as the page (nothing is sent anywhere). */
var jar = Object.create(null);
try {
  Object.defineProperty(document, "cookie", {
    configurable: true,
    get: function () {
      return Object.keys(jar)
        .map(function (k) {
          return k + "=" + jar[k];
        })
        .join("; ");
    },
    set: function (v) {
      var parts = String(v).split(";"),
        pair = parts[0],
        eq = pair.indexOf("=");
      var name = (eq < 0 ? "" : pair.slice(0, eq)).trim(),
        value = (eq < 0 ? pair : pair.slice(eq + 1)).trim();
      var gone = parts.slice(1).some(function (a) {
        a = a.trim().toLowerCase();
        return (
          a === "max-age=0" ||
          /^max-age=-/.test(a) ||
          (a.indexOf("expires=") === 0 && Date.parse(a.slice(8)) < Date.now())
        );
      });
      if (gone) {
        delete jar[name];
      } else {
        jar[name] = value;
      }
    },
  });
} catch (e) {}
