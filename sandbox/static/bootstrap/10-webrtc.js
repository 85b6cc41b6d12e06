/* WebRTC can reach the network where CSP cannot close it: remove it. */
[
  "RTCPeerConnection",
  "webkitRTCPeerConnection",
  "RTCDataChannel",
  "RTCRtpSender",
  "RTCRtpReceiver",
  "RTCIceCandidate",
  "RTCSessionDescription",
].forEach(function (name) {
  try {
    Object.defineProperty(window, name, {
      value: undefined,
      writable: false,
      configurable: false,
    });
  } catch (e) {}
});
