// Writing a report so that no interruption leaves half of it: the text goes to a temporary file
// beside the real one, which is then renamed over it in one step (rename(2) is atomic within a
// file system). A write that fails leaves no temporary file behind.

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export function writeFileAtomic(path: string, data: string): void {
  writeStreamAtomic(path, (write) => write(data));
}

/** `produce` writes the file's text in pieces through `write`; the file appears whole, or not at all. Returns the bytes written. */
export function writeStreamAtomic(path: string, produce: (write: (text: string) => void) => void): number {
  const partial = `${path}.${process.pid}.partial`;
  const fd = openSync(partial, 'w');
  let open = true;
  let bytes = 0;
  try {
    produce((text) => {
      bytes += writeSync(fd, text);
    });
    closeSync(fd);
    open = false;
    renameSync(partial, path);
    return bytes;
  } finally {
    if (open) closeSync(fd);
    rmSync(partial, { force: true });
  }
}
