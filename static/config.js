// Limits and names the server defines once (web/client.py), read from the page.
const element = document.getElementById("kiln-config");
if (!element) throw new Error("This page lacks #kiln-config (templates/base.html renders it).");

export const config = Object.freeze(JSON.parse(element.textContent));
