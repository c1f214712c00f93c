/**
 * The browser voice engine (`lib/voice/client`): loaded with `import()` on first use of a voice
 * control, so chat pages where nobody speaks or listens do not download it.
 */
export { fetchVoices } from "../../lib/voice/client/api.ts";
export { recognizeOnce, speakWithBrowser } from "../../lib/voice/client/browser_speech.ts";
export { htmlAudioSink, SpeechPlayer } from "../../lib/voice/client/player.ts";
export { transcribeRecording, VoiceRecorder } from "../../lib/voice/client/recorder.ts";
