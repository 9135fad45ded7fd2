import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { ExportSink } from '../../ports';

/** The local stand-in for the export bucket: files under a folder of the data directory. */
export class FileExportSink implements ExportSink {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, body: string): Promise<void> {
    const file = resolve(join(this.root, key));
    if (!file.startsWith(this.root + sep)) throw new Error(`Export key outside the export folder: ${key}`);
    await mkdir(dirname(file), { recursive: true });
    // Written aside, then renamed: a reader never sees half a file.
    const partial = `${file}.partial`;
    await writeFile(partial, body, 'utf8');
    await rename(partial, file);
  }
}
