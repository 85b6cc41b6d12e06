/* pdf.js before 4.2.67 (the mirror's 3.x, which 2.x and 3.x tools get) runs
   code a PDF can smuggle into a font (CVE-2024-4367) unless getDocument is
   given isEvalSupported: false. The frame allows eval, so a tool showing a
   stranger's PDF would run the stranger's script with the tool's storage and
   bridge. Its classic build announces itself as window.pdfjsLib (and under its
   module name, which 2.x examples read): each gets a view of the library whose
   getDocument always turns eval off. Later releases never eval font data, so
   for them the option changes nothing. */
var PDFJS_NAMES = ["pdfjsLib", "pdfjs-dist/build/pdf"];
var pdfjsViews = new WeakMap();
function pdfjsView(lib) {
  if (!lib || (typeof lib !== "object" && typeof lib !== "function")) {
    return lib;
  }
  if (typeof lib.getDocument !== "function" || pdfjsViews.has(lib)) {
    return pdfjsViews.get(lib) || lib;
  }
  var getDocument = lib.getDocument;
  var view = Object.create(lib, {
    getDocument: {
      value: function (src) {
        var params;
        if (typeof src === "string" || src instanceof URL) {
          params = { url: src };
        } else if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) {
          params = { data: src };
        } else if (lib.PDFDataRangeTransport && src instanceof lib.PDFDataRangeTransport) {
          params = { range: src };
        } else {
          params = Object.assign({}, src);
        }
        params.isEvalSupported = false;
        return getDocument.call(lib, params);
      },
      enumerable: true,
    },
  });
  pdfjsViews.set(lib, view);
  return view;
}
PDFJS_NAMES.forEach(function (name) {
  var current;
  try {
    Object.defineProperty(window, name, {
      get: function () {
        return current;
      },
      set: function (value) {
        current = pdfjsView(value);
      },
      configurable: true,
      enumerable: false,
    });
  } catch (e) {}
});
