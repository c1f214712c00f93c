/** Light/dark switch. Follows the system until clicked; the choice is kept in a cookie. */
import { useEffect, useState } from "preact/hooks";

type Theme = "light" | "dark";

/** Props: the theme the server rendered with (undefined = system). */
export default function ThemeToggle({ initial }: { initial?: Theme }) {
  const [theme, setTheme] = useState<Theme | undefined>(initial);
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);
  const current: Theme = theme ??
    (ready && globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  const toggle = () => {
    const next: Theme = current === "dark" ? "light" : "dark";
    setTheme(next);
    document.documentElement.dataset.theme = next;
    document.cookie = `mc_theme=${next}; Path=/; Max-Age=31536000; SameSite=Lax`;
  };
  // The shortcut the title advertises: Ctrl/Cmd+Shift+L, anywhere on the page.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && !e.altKey && e.key.toLowerCase() === "l") {
        e.preventDefault();
        toggle();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });
  return (
    <button
      type="button"
      class="icon-button theme-toggle"
      aria-label={`Switch to ${current === "dark" ? "light" : "dark"} mode`}
      title="Toggle dark mode (Ctrl+Shift+L)"
      data-theme-current={current}
      disabled={!ready}
      onClick={toggle}
    >
      {current === "dark" ? "☀" : "☾"}
    </button>
  );
}
