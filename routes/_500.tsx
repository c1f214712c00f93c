/** Page for server errors; the error itself is logged, never shown. */
export default function ServerError() {
  return (
    <main class="error-page">
      <h1>Something went wrong</h1>
      <p>
        The error was logged. <a href="/">Back to the chat</a>
      </p>
    </main>
  );
}
