// The restream demo's publisher and player: WHIP and WHEP with nothing but
// the browser's WebRTC and fetch.
"use strict";

const status = (s) => { document.getElementById("status").textContent = s; };

// gathered waits for ICE gathering (WHIP and WHEP send every candidate in
// the offer), at most two seconds.
function gathered(pc) {
  return new Promise((done) => {
    if (pc.iceGatheringState === "complete") return done();
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && done());
    setTimeout(done, 2000);
  });
}

// negotiate posts pc's offer to endpoint and applies the answer; it
// returns the session's resource URL.
async function negotiate(pc, endpoint) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const res = await fetch(endpoint, { method: "POST", body: pc.localDescription.sdp, headers: { "Content-Type": "application/sdp" } });
  const body = await res.text();
  if (res.status !== 201) {
    let msg = body;
    try { msg = JSON.parse(body).message; } catch (e) { /* not JSON */ }
    throw new Error(res.status + ": " + msg);
  }
  await pc.setRemoteDescription({ type: "answer", sdp: body });
  return new URL(res.headers.get("Location"), location.href).href;
}

async function publish() {
  const cam = await navigator.mediaDevices.getUserMedia({ video: true });
  document.getElementById("preview").srcObject = cam;
  const pc = new RTCPeerConnection();
  pc.addTransceiver(cam.getVideoTracks()[0], { direction: "sendonly" });
  pc.onconnectionstatechange = () => status(pc.connectionState);
  await negotiate(pc, "webrtc/whip");
}

async function watch() {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.ontrack = (e) => { document.getElementById("player").srcObject = new MediaStream([e.track]); };
  pc.onconnectionstatechange = () => status(pc.connectionState);
  await negotiate(pc, "webrtc/whep");
}

document.getElementById("go").addEventListener("click", async (e) => {
  e.target.disabled = true;
  status("connecting");
  try {
    await (document.body.dataset.page === "publish" ? publish() : watch());
  } catch (err) {
    status(String(err.message || err));
    e.target.disabled = false;
  }
});
