"""The library mirror: the one list of front-end libraries artifacts may load
(``libraries``), CDN-URL rewriting to it (``cdn``), finding a listed file on disk
(``files``; ``web.mirror_files`` serves it at /lib/ on the sandbox origin) and
writing it into standalone exports (``standalone``). The packages themselves
come from npm: ``package.json`` and its lockfile beside this file, installed into
``node_modules/`` by ``npm ci``."""
