/**
 * Answers of a pure function of a string, remembered: for per-request work whose inputs repeat (a
 * header value, a client address). At most `max` answers are kept; when full, all are forgotten at
 * once (cheaper per call than ordering them, and the repeating inputs come back within a request).
 */
export function remembered<T>(answer: (key: string) => T, max: number): (key: string) => T {
  const answers = new Map<string, T>();
  return (key) => {
    let value = answers.get(key);
    if (value === undefined) {
      if (answers.size >= max) answers.clear();
      answers.set(key, value = answer(key));
    }
    return value;
  };
}
