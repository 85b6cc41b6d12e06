/* Copy and paste: through the parent, on the viewer's click and with consent. */
if (navigator.clipboard) {
  try {
    Object.defineProperty(navigator.clipboard, "writeText", {
      value: function (t) {
        return ask({ type: "clipboard", text: String(t) });
      },
      configurable: true,
    });
  } catch (e) {}
  try {
    Object.defineProperty(navigator.clipboard, "readText", {
      value: function () {
        return ask({ type: "paste" });
      },
      configurable: true,
    });
  } catch (e) {}
}
