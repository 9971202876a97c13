// Voice input: the browser records the microphone (Web Audio), turns the recording into a 16 kHz mono WAV file,
// and the server transcribes it on its own machine (POST /voice/transcribe). No speech service of the browser's is
// used (it would send the audio elsewhere); nothing of the audio is kept, here or on the server.

import { ApiError, request } from "./api.js";
import { h } from "./dom.js";

const RATE = 16000; // what the server's model hears; smaller than the device's rate, so quicker to send
const MOST_SECONDS = 30; // 16 kHz 16-bit audio: 30 s fit the server's default 1 MB body limit

// Whether this browser can record here (getUserMedia needs HTTPS or localhost).
export function canRecord() {
  return Boolean(navigator.mediaDevices?.getUserMedia && window.AudioContext && window.OfflineAudioContext);
}

// A microphone button: a first press records, a second stops; `heard(text)` gets the transcript to edit, and
// `tell(text)` the progress and any problem, in words.
export function microphoneButton({ heard, tell }) {
  const button = h("button", { type: "button", class: "mic", "aria-pressed": "false" }, "Speak");
  button.title = "Record a message: press again to stop; the text is yours to edit before sending";
  if (!canRecord()) {
    button.disabled = true;
    button.title = "Voice input needs a browser that records audio, over HTTPS (or on localhost)";
    return button;
  }
  let recording = null;
  button.addEventListener("click", async () => {
    if (recording) {
      recording.stop();
      return;
    }
    try {
      recording = await start();
    } catch (error) {
      tell(microphoneProblem(error));
      return;
    }
    button.textContent = "Stop";
    button.setAttribute("aria-pressed", "true");
    button.classList.add("recording");
    tell(`Recording… press Stop when you are done (at most ${MOST_SECONDS} seconds).`);
    const ending = setTimeout(() => recording?.stop(), MOST_SECONDS * 1000);
    let audio;
    try {
      audio = await recording.done;
    } finally {
      clearTimeout(ending);
      recording = null;
      button.textContent = "Speak";
      button.setAttribute("aria-pressed", "false");
      button.classList.remove("recording");
    }
    button.disabled = true;
    tell("Transcribing on the server…");
    try {
      const wav = await toWav(audio);
      const response = await request("POST", "/voice/transcribe", wav, { contentType: "audio/wav" });
      const { text } = await response.json();
      if (text) {
        heard(text);
        tell("Check the text, then send it.");
      } else {
        tell("No words were heard: try again closer to the microphone.");
      }
    } catch (error) {
      tell(error instanceof ApiError ? error.message : "The recording could not be transcribed.");
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

// Start recording the default microphone as raw samples (no lossy codec between the voice and the model); `done`
// resolves to {samples, rate} once `stop()` is called.
async function start() {
  // The browser's call-audio processing (gain control, noise suppression, echo cancelling) clips and smears speech,
  // and the model hears plain audio best.
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, autoGainControl: false, noiseSuppression: false, echoCancellation: false },
  });
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  // A ScriptProcessorNode hands over the samples on the main thread: an AudioWorklet would need a module of its own
  // for no gain at speech's data rate.
  const tap = context.createScriptProcessor(4096, 1, 1);
  const chunks = [];
  tap.addEventListener("audioprocess", (event) => chunks.push(new Float32Array(event.inputBuffer.getChannelData(0))));
  const silent = context.createGain();
  silent.gain.value = 0; // the tap must reach the output to run; nothing is played back
  source.connect(tap);
  tap.connect(silent);
  silent.connect(context.destination);
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });
  const stop = async () => {
    source.disconnect();
    tap.disconnect();
    for (const track of stream.getTracks()) track.stop(); // the browser's "recording" indicator goes off
    const rate = context.sampleRate;
    await context.close();
    const samples = new Float32Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    chunks.reduce((at, chunk) => (samples.set(chunk, at), at + chunk.length), 0);
    finish({ samples, rate });
  };
  return { done, stop };
}

function microphoneProblem(error) {
  if (error?.name === "NotAllowedError") return "The microphone is blocked: allow it in the browser's site settings.";
  if (error?.name === "NotFoundError") return "No microphone was found.";
  return "The microphone could not be opened.";
}

// The recording resampled to 16 kHz (by the browser's own resampler), as a WAV file.
async function toWav({ samples: recorded, rate }) {
  const length = Math.max(1, Math.ceil((recorded.length * RATE) / rate));
  const resampler = new OfflineAudioContext(1, length, RATE);
  const buffer = resampler.createBuffer(1, Math.max(1, recorded.length), rate);
  buffer.copyToChannel(recorded, 0);
  const source = resampler.createBufferSource();
  source.buffer = buffer;
  source.connect(resampler.destination);
  source.start();
  const samples = (await resampler.startRendering()).getChannelData(0);
  const bytes = new DataView(new ArrayBuffer(44 + samples.length * 2));
  const text = (at, value) => [...value].forEach((char, i) => bytes.setUint8(at + i, char.charCodeAt(0)));
  text(0, "RIFF");
  bytes.setUint32(4, 36 + samples.length * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  bytes.setUint32(16, 16, true); // the format block's size
  bytes.setUint16(20, 1, true); // PCM
  bytes.setUint16(22, 1, true); // mono
  bytes.setUint32(24, RATE, true);
  bytes.setUint32(28, RATE * 2, true); // bytes a second
  bytes.setUint16(32, 2, true); // bytes a frame
  bytes.setUint16(34, 16, true); // bits a sample
  text(36, "data");
  bytes.setUint32(40, samples.length * 2, true);
  samples.forEach((sample, i) => {
    const clipped = Math.max(-1, Math.min(1, sample));
    bytes.setInt16(44 + i * 2, clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff, true);
  });
  return new Blob([bytes.buffer], { type: "audio/wav" });
}
