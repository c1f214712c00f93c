/**
 * Text whose second half repeats its first further back than gzip's 32 KiB window reaches, as a
 * conversation page carries each message twice (in its HTML and in the island's props), far apart.
 * Seeded: the same text every run.
 */
export function farRepeats(): string {
  let seed = 7;
  const word = () => {
    seed = (seed * 48271) % 2147483647;
    return (seed % 100_000).toString(36);
  };
  const part = Array.from({ length: 8000 }, word).join(" "); // about 40 KB
  return `<main>${part}</main><script>${JSON.stringify(part)}</script>`;
}
