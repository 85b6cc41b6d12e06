/* Kiln's chosen theme ({event: "theme", scheme: "light" | "dark" | "normal"}
   for the system's) sets the tool's color-scheme: its default colours, form
   controls and light-dark() follow it. A tool that declares one scheme only
   keeps it. (prefers-color-scheme inside the frame still follows the system:
   no page may set that for another.) */
var themed = false;
parentEvents.theme = function (d) {
  var root = document.documentElement;
  if (themed) {
    root.style.removeProperty("color-scheme");
    themed = false;
  }
  if (d.scheme !== "light" && d.scheme !== "dark") {
    return;
  }
  var own = getComputedStyle(root).colorScheme || "normal";
  if (own === "normal" || own.split(" ").indexOf(d.scheme) >= 0) {
    root.style.setProperty("color-scheme", d.scheme);
    themed = true;
  }
};
