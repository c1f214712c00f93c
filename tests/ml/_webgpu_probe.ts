/**
 * Child process of `backend_test.ts`: starts the WebGPU backend and prints what happened as JSON
 * (`{"backend":"webgpu"}` or `{"code":...,"message":...}`). Run apart from the test process because
 * asking for an adapter loads the system's GL/EGL stack (Mesa through libglvnd) into the process, and
 * that stack's exit-time destructors race threads still exiting: the parallel test runner once died
 * with "double free or corruption" after every test had passed (docs/hardening.md).
 */
import { BackendError, initBackend } from "../../ml/backend.ts";

try {
  console.log(JSON.stringify({ backend: await initBackend("webgpu") }));
} catch (e) {
  if (!(e instanceof BackendError)) throw e;
  console.log(JSON.stringify({ code: e.code, message: e.message }));
}
