/* Service workers need an origin; the frame has none, so reading
   navigator.serviceWorker throws SecurityError, and tools that only check for
   it (to register an offline cache) break. A stand-in says "none here". */
var noWorkers = {
  controller: null,
  ready: new Promise(function () {}),
  oncontrollerchange: null,
  onmessage: null,
  onmessageerror: null,
  register: function () {
    return Promise.reject(new DOMException(cfg.noServiceWorker, "SecurityError"));
  },
  getRegistration: function () {
    return Promise.resolve(undefined);
  },
  getRegistrations: function () {
    return Promise.resolve([]);
  },
  startMessages: function () {},
  addEventListener: function () {},
  removeEventListener: function () {},
  dispatchEvent: function () {
    return false;
  },
};
try {
  Object.defineProperty(Navigator.prototype, "serviceWorker", {
    get: function () {
      return noWorkers;
    },
    configurable: true,
  });
} catch (e) {}
