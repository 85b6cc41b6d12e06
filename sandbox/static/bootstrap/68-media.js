/* Camera, microphone and screen capture. Chromium refuses capture in an opaque
   origin, and this frame's Permissions Policy denies the devices besides, so the
   tool's own code can never reach them. getUserMedia() and getDisplayMedia() ask
   Kiln's page instead: it asks the viewer, captures the device itself, and
   streams here what the camera or the shared screen shows (ImageBitmaps) and the
   microphone hears (samples), which become a real MediaStream (a canvas's
   track, a Web Audio track). Refusals reject with
   NotAllowedError and, like every answer, are remembered for this document so
   a tool asking in a loop costs Kiln's page nothing. */
var mediaDevices = navigator.mediaDevices,
  mediaSinks = { camera: [], microphone: [], screen: [] },
  mediaInfo = {},
  mediaDenied = {},
  mediaAsking = {},
  mediaAudio = null,
  mediaHeard = -1e9,
  MEDIA_MOST_TRACKS = 16,
  MEDIA_LEAD = 0.05,
  MEDIA_MOST_AHEAD = 0.5;
var MEDIA_LABELS = {
  camera: "Camera (through Kiln)",
  microphone: "Microphone (through Kiln)",
  screen: "Screen (through Kiln)",
};
function mediaError(e) {
  return new DOMException(
    String((e && e.message) || "The viewer did not allow this"),
    (e && e.code) || "NotAllowedError",
  );
}
function mediaKinds(c) {
  var kinds = [];
  if (c && c.video) {
    kinds.push("camera");
  }
  if (c && c.audio) {
    kinds.push("microphone");
  }
  return kinds;
}
/* The tool's wishes for the camera, as plain numbers: Kiln's page captures with them as ideals. */
function mediaWish(v) {
  if (!v || typeof v !== "object") {
    return undefined;
  }
  var wish = {},
    some = false;
  ["width", "height", "frameRate"].forEach(function (key) {
    var x = v[key];
    if (x && typeof x === "object") {
      x = x.exact !== undefined ? x.exact : x.ideal !== undefined ? x.ideal : x.max;
    }
    if (typeof x === "number" && isFinite(x) && x > 0 && x <= 10000) {
      wish[key] = x;
      some = true;
    }
  });
  var facing =
    v.facingMode && typeof v.facingMode === "object"
      ? v.facingMode.exact || v.facingMode.ideal
      : v.facingMode;
  if (["user", "environment", "left", "right"].indexOf(facing) >= 0) {
    wish.facingMode = facing;
    some = true;
  }
  return some ? wish : undefined;
}
function mediaDrop(sink) {
  var list = mediaSinks[sink.device],
    at = list.indexOf(sink);
  if (at < 0) {
    return;
  }
  list.splice(at, 1);
  if (sink.node) {
    try {
      sink.node.disconnect();
    } catch (e) {}
  }
  if (!list.length) {
    delete mediaInfo[sink.device];
    post({ type: "media", stop: sink.device });
  }
}
/* A track the tool holds: stop() ends it here, and the device once no track of it is left. */
function mediaDress(track, sink) {
  var nativeStop = track.stop;
  try {
    Object.defineProperty(track, "label", { value: MEDIA_LABELS[sink.device] });
    Object.defineProperty(track, "stop", {
      value: function () {
        nativeStop.call(track);
        mediaDrop(sink);
      },
    });
  } catch (e) {}
  sink.end = function () {
    nativeStop.call(track);
    try {
      track.dispatchEvent(new Event("ended"));
    } catch (e) {}
  };
  return track;
}
function mediaVideoTrack(device, info) {
  var canvas = document.createElement("canvas");
  canvas.width = info.width || 640;
  canvas.height = info.height || 480;
  var g = canvas.getContext("2d");
  var track = canvas.captureStream().getVideoTracks()[0];
  var sink = { device: device };
  sink.draw = function (frame) {
    if (canvas.width !== frame.width || canvas.height !== frame.height) {
      canvas.width = frame.width;
      canvas.height = frame.height;
    }
    g.drawImage(frame, 0, 0);
  };
  mediaSinks[device].push(sink);
  return mediaDress(track, sink);
}
function mediaAudioBus(rate) {
  if (!mediaAudio) {
    var context = new AudioContext({ sampleRate: rate || undefined });
    mediaAudio = { context: context, bus: context.createGain(), next: 0 };
  }
  return mediaAudio;
}
function mediaMicrophoneTrack(info) {
  var a = mediaAudioBus(info.sampleRate);
  var out = a.context.createMediaStreamDestination();
  a.bus.connect(out);
  var sink = { device: "microphone", node: out };
  mediaSinks.microphone.push(sink);
  return mediaDress(out.stream.getAudioTracks()[0], sink);
}
/* Samples are played into the bus a little ahead of time, in order; what would
   land too far ahead (a suspended context, a stall) is dropped, not queued. */
function mediaPlay(d) {
  if (!mediaSinks.microphone.length || !mediaAudio || !Array.isArray(d.data) || !d.data.length) {
    return;
  }
  mediaHeard = performance.now();
  var a = mediaAudio,
    now = a.context.currentTime;
  if (a.next < now + MEDIA_LEAD) {
    a.next = now + MEDIA_LEAD;
  }
  if (a.next > now + MEDIA_MOST_AHEAD) {
    return;
  }
  try {
    var buffer = a.context.createBuffer(d.data.length, d.data[0].length, d.rate);
    d.data.forEach(function (samples, c) {
      buffer.copyToChannel(samples, c);
    });
    var source = a.context.createBufferSource();
    source.buffer = buffer;
    source.connect(a.bus);
    source.start(a.next);
    a.next += buffer.duration;
  } catch (e) {}
}
parentEvents["media-frame"] = function (d) {
  var frame = d.frame,
    sinks = d.device === "screen" ? mediaSinks.screen : mediaSinks.camera;
  if (!frame || typeof frame.close !== "function") {
    return;
  }
  sinks.forEach(function (sink) {
    try {
      sink.draw(frame);
    } catch (e) {}
  });
  frame.close();
};
parentEvents["media-audio"] = mediaPlay;
parentEvents["media-ended"] = function (d) {
  var list = mediaSinks[d.kind];
  if (!list) {
    return;
  }
  delete mediaInfo[d.kind];
  list.splice(0).forEach(function (sink) {
    if (sink.node) {
      try {
        sink.node.disconnect();
      } catch (e) {}
    }
    sink.end();
  });
};
/* Audio that starts before anyone clicked the tool waits for the first click,
   here and in Kiln's page (which the click reaches too); the page is told only
   while no sound comes from it. */
function mediaWake() {
  if (!mediaSinks.microphone.length) {
    return;
  }
  if (mediaAudio && mediaAudio.context.state === "suspended") {
    mediaAudio.context.resume().catch(function () {});
  }
  if (performance.now() - mediaHeard > 500) {
    post({ type: "media", wake: true });
  }
}
/* Each track is a canvas or an audio node of this page, fed every frame: a tool
   that asks in a loop gets a clean error, not a page that slows to a crawl. */
function mediaStream(kinds) {
  kinds.forEach(function (kind) {
    if (mediaSinks[kind].length >= MEDIA_MOST_TRACKS) {
      throw new DOMException(
        "A tool may hold at most " + MEDIA_MOST_TRACKS + " live tracks of one device: stop some",
        "NotReadableError",
      );
    }
  });
  var tracks = kinds.map(function (kind) {
    return kind === "microphone"
      ? mediaMicrophoneTrack(mediaInfo.microphone)
      : mediaVideoTrack(kind, mediaInfo[kind]);
  });
  if (kinds.indexOf("microphone") >= 0 && mediaAudio && mediaAudio.context.state === "suspended") {
    mediaAudio.context.resume().catch(function () {});
  }
  return new MediaStream(tracks);
}
function getUserMedia(constraints) {
  var kinds = mediaKinds(constraints);
  if (!kinds.length) {
    return Promise.reject(
      new TypeError(
        "Failed to execute 'getUserMedia' on 'MediaDevices': At least one of audio and video must be requested",
      ),
    );
  }
  return mediaGet(kinds, kinds.indexOf("camera") >= 0 ? constraints.video : undefined);
}
/* As browsers do, only in answer to the viewer's click or key; video only. */
function getDisplayMedia(options) {
  if (navigator.userActivation && !navigator.userActivation.isActive) {
    return Promise.reject(
      new DOMException("getDisplayMedia() needs a click or key press first", "InvalidStateError"),
    );
  }
  return mediaGet(["screen"], options && options.video);
}
function mediaGet(kinds, video) {
  /* A draft preview has no bridge: it would wait for an answer that never comes. */
  if (cfg.draft) {
    return Promise.reject(
      new DOMException(
        "The preview has no camera, microphone or screen while the tool is being written",
        "NotAllowedError",
      ),
    );
  }
  var refused = kinds.filter(function (k) {
    return mediaDenied[k];
  });
  if (refused.length) {
    return Promise.reject(mediaError(mediaDenied[refused[0]]));
  }
  /* Devices this document already has go straight to a new track. */
  if (
    kinds.every(function (k) {
      return mediaInfo[k];
    })
  ) {
    return new Promise(function (resolve) {
      resolve(mediaStream(kinds));
    });
  }
  /* The same question while it is open is the same question. */
  var key = kinds.join(" ");
  if (!mediaAsking[key]) {
    var msg = { type: "media", kinds: kinds },
      wish = mediaWish(video);
    if (wish) {
      msg.video = wish;
    }
    if (window.parent === window) {
      /* The smoke tester's stand-in viewer feeds the same events Kiln's page sends. */
      msg.feed = function (d) {
        if (
          typeof d.event === "string" &&
          Object.prototype.hasOwnProperty.call(parentEvents, d.event)
        ) {
          parentEvents[d.event](d);
        }
      };
    }
    mediaAsking[key] = call(msg).then(
      function (info) {
        delete mediaAsking[key];
        kinds.forEach(function (k) {
          mediaInfo[k] = (info && info[k]) || {};
        });
      },
      function (e) {
        delete mediaAsking[key];
        if (!e || !e.code || e.code === "NotAllowedError") {
          kinds.forEach(function (k) {
            mediaDenied[k] = e || {};
          });
        }
        throw mediaError(e);
      },
    );
  }
  return mediaAsking[key].then(function () {
    return mediaStream(kinds);
  });
}
function enumerateDevices() {
  return Promise.resolve(
    [
      ["videoinput", "camera"],
      ["audioinput", "microphone"],
    ].map(function (pair) {
      var info = {
        deviceId: "kiln-" + pair[1],
        groupId: "kiln",
        kind: pair[0],
        label: mediaInfo[pair[1]] ? MEDIA_LABELS[pair[1]] : "",
      };
      info.toJSON = function () {
        return {
          deviceId: info.deviceId,
          groupId: info.groupId,
          kind: info.kind,
          label: info.label,
        };
      };
      return info;
    }),
  );
}
if (mediaDevices) {
  [
    ["getUserMedia", getUserMedia],
    ["getDisplayMedia", getDisplayMedia],
    ["enumerateDevices", enumerateDevices],
  ].forEach(function (pair) {
    try {
      Object.defineProperty(mediaDevices, pair[0], {
        value: pair[1],
        writable: true,
        configurable: true,
      });
    } catch (e) {}
  });
  document.addEventListener("pointerdown", mediaWake, true);
  document.addEventListener("keydown", mediaWake, true);
}
