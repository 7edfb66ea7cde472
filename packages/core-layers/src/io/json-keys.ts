import { ioError, quoteKey } from './util';

/** Index of the closing quote of the JSON string literal whose opening quote is at `start`. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i;
}

/**
 * The keys of a JSON object, in source order. `JSON.parse` keeps insertion order except that it
 * moves integer-like keys ("0", "12") to the front, so file order has to be read from the text.
 * `text` must already be known to hold a valid JSON object. Duplicate keys are rejected.
 */
export function orderedTopLevelKeys(text: string, source: string): string[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      const end = endOfString(text, i);
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (seen.has(key)) throw ioError(source, `duplicate key ${quoteKey(key)} in header`);
        seen.add(key);
        keys.push(key);
        expectKey = false;
      }
      i = end;
    } else if (char === '{' || char === '[') {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (char === '}' || char === ']') {
      depth--;
    } else if (char === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}
