import { equal } from "node:assert/strict";
import { safeHref } from "../../lib/markdown/mod.ts";

Deno.test("safeHref: allowed schemes and relative URLs pass, spaces and controls are encoded", () => {
  const pass: [string, string][] = [
    ["https://a.example/x?y#z", "https://a.example/x?y#z"],
    ["HTTP://A.EXAMPLE", "HTTP://A.EXAMPLE"],
    ["mailto:me@a.example", "mailto:me@a.example"],
    ["/relative/path", "/relative/path"],
    ["relative.html", "relative.html"],
    ["#fragment", "#fragment"],
    ["?q=1", "?q=1"],
    ["//cdn.example/x", "//cdn.example/x"],
    ["", ""],
    [" a b ", "a%20b"],
    ["a\tb", "a%09b"],
    ["./x:y", "./x:y"],
  ];
  for (const [input, output] of pass) equal(safeHref(input), output, JSON.stringify(input));
});

Deno.test("safeHref: other schemes, also hidden by case, controls or whitespace, are refused", () => {
  const refused = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java\u0000script:alert(1)",
    "\u0001javascript:alert(1)",
    "java\u200bscript:alert(1)",
    "javascript\u00ad:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "blob:https://a.example/uuid",
    "ftp://a.example",
    "x:y",
    "1:y",
    "ｊavascript:alert(1)",
  ];
  for (const input of refused) equal(safeHref(input), null, JSON.stringify(input));
});
