// How Kiln's pages write figures for people.

/** "512 B" ("512 bytes" with `bytes` = "bytes", for a sentence), "3.2 KB", "1.5 MB". */
export function humanSize(size, bytes = "B") {
  if (size < 1024) return `${size} ${bytes}`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}
