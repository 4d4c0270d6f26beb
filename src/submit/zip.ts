import { crc32, deflateRawSync } from 'node:zlib';
import { ConfigError } from '../core/errors.js';

/** One entry of a zip archive: a file with its bytes, or a directory (name ends with `/`). */
export type ZipEntry =
  | { kind: 'file'; name: string; data: Buffer; mode?: number }
  | { kind: 'directory'; name: string; mode?: number };

// 1980-01-01 00:00, the DOS epoch: fixed timestamps make the archive a function of its content alone.
const DOS_TIME = 0;
const DOS_DATE = (1 << 5) | 1;
const UTF8_NAMES = 0x0800;
const MADE_BY_UNIX = (3 << 8) | 20;
const VERSION_NEEDED = 20;
const MAX_ENTRIES = 0xffff;
const MAX_SIZE = 0xffffffff;

/**
 * Writes a zip archive (no zip64: at most 65,535 entries and 4 GiB, far above the Ray package limit).
 * Files are deflated unless that does not make them smaller; names are UTF-8 with `/` separators.
 */
export function writeZip(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > MAX_ENTRIES)
    throw new ConfigError(
      `the folder to ship has too many files and folders (${entries.length}; a zip holds at most ${MAX_ENTRIES}): exclude some with .gitignore or .rayignore`,
      { field: 'working_dir' },
    );
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const isFile = entry.kind === 'file';
    const raw = isFile ? entry.data : Buffer.alloc(0);
    const deflated = isFile && raw.length > 0 ? deflateRawSync(raw) : undefined;
    const useDeflate = deflated !== undefined && deflated.length < raw.length;
    const body = useDeflate ? deflated : raw;
    if (raw.length > MAX_SIZE || offset > MAX_SIZE)
      throw new Error('zip: archive too large for a non-zip64 zip');
    const crc = isFile ? crc32(raw) >>> 0 : 0;
    const method = useDeflate ? 8 : 0;
    const mode = entry.mode ?? (isFile ? 0o100644 : 0o040755);
    // MS-DOS directory bit in the low byte, Unix mode in the high half.
    const external = ((mode & 0xffff) << 16) | (isFile ? 0 : 0x10);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(UTF8_NAMES, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(external >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + body.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  if (offset > MAX_SIZE) throw new Error('zip: archive too large for a non-zip64 zip');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, ...centrals, end]);
}
