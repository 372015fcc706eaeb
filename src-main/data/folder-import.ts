import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { AppError } from '../../src-shared/errors';
import { EMOTIONS, emotionIndex, IMAGE_SIZE, PIXELS_PER_IMAGE, SPLITS, type Split } from '../../src-shared/labels';
import type { IgnoredFolder } from '../../src-shared/contract/datasets';
import type { PackedWriter } from './packed-writer';

/** What sharp's bundled libvips decodes. Anything else in an emotion folder is skipped and counted. */
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.tif', '.tiff', '.avif']);
/** Images decoded at once: sharp's pool has 4 threads; a few more keeps it busy while JS appends results. */
const WINDOW = 16;

type FolderRole = 'train' | 'test' | 'val';
const ROLE_NAMES: Record<string, FolderRole> = {
  train: 'train',
  training: 'train',
  test: 'test',
  testing: 'test',
  privatetest: 'test',
  val: 'val',
  valid: 'val',
  validation: 'val',
  publictest: 'val',
};

interface ImageFile {
  path: string;
  /** Relative to the root, with forward slashes: the sample's `source`. */
  source: string;
  label: number;
  split: number;
}

export interface FolderResult {
  converted: number;
  skipped: number;
  /** Folders where an emotion folder was expected but whose name is no emotion: not imported. */
  ignoredFolders: IgnoredFolder[];
}

/**
 * Which split an image belongs to. `train/` is Training; `test/` holds FER2013's two test splits, told apart
 * by the Kaggle file-name prefix (PublicTest_*, PrivateTest_*), and defaults to PrivateTest, the paper's test
 * set; `val/` (or `validation/`, `PublicTest/`) is PublicTest, the validation split.
 */
export function splitFor(role: FolderRole, fileName: string): Split {
  if (role === 'train') return 'Training';
  if (role === 'val') return 'PublicTest';
  if (/^publictest[_-]/i.test(fileName)) return 'PublicTest';
  return 'PrivateTest';
}

/** A folder entry, with symlinks followed: a linked folder is a folder, a linked image an image. */
interface Entry {
  name: string;
  path: string;
  /** null for a dangling link: kept, so a linked image that is missing fails on decode naming its path. */
  stat: Stats | null;
}

function listDir(dir: string): Entry[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort((a, b) => collator.compare(a, b));
  } catch (err) {
    throw new AppError('IO_ERROR', `Cannot list ${dir}: ${(err as Error).message}`);
  }
  return names.map((name) => {
    const path = join(dir, name);
    // statSync follows symlinks; Dirent.isDirectory()/isFile() do not, which silently skipped linked folders.
    return { name, path, stat: statSync(path, { throwIfNoEntry: false }) ?? null };
  });
}
const collator = new Intl.Collator('en', { numeric: true });
const isDir = (e: Entry) => e.stat?.isDirectory() === true;
const fileCount = (dir: string) => listDir(dir).filter((e) => !isDir(e)).length;

interface EmotionFolder {
  dir: string;
  rel: string;
  role: FolderRole;
  label: number;
}

/**
 * Finds (role, emotion folder) pairs; `root/<emotion>/` alone is taken as Training. Folders whose name is no
 * emotion (`train/contempt/`) are returned as ignored, so the import can say what it left out.
 */
function findEmotionFolders(root: string): { found: EmotionFolder[]; ignored: IgnoredFolder[] } {
  const found: EmotionFolder[] = [];
  const ignored: IgnoredFolder[] = [];
  const top = listDir(root).filter(isDir);
  for (const entry of top) {
    const role = ROLE_NAMES[entry.name.toLowerCase()];
    if (!role) continue;
    for (const sub of listDir(entry.path).filter(isDir)) {
      const label = emotionIndex(sub.name);
      const rel = `${entry.name}/${sub.name}`;
      if (label >= 0) found.push({ dir: sub.path, rel, role, label });
      else ignored.push({ folder: rel, files: fileCount(sub.path) });
    }
  }
  if (!found.length) {
    ignored.length = 0;
    for (const entry of top) {
      const label = emotionIndex(entry.name);
      if (label >= 0) found.push({ dir: entry.path, rel: entry.name, role: 'train', label });
      else if (!ROLE_NAMES[entry.name.toLowerCase()]) ignored.push({ folder: entry.name, files: fileCount(entry.path) });
    }
  }
  // Following links could reach one folder twice (test/happy -> ../train/happy): its faces would land in two
  // splits, so refuse rather than leak test images into training. Depth is fixed, so there is no other loop.
  const seen = new Map<string, string>();
  for (const f of found) {
    const real = realpathSync(f.dir);
    const first = seen.get(real);
    if (first !== undefined) {
      throw new AppError('INVALID_DATA', `${root}: ${first}/ and ${f.rel}/ are the same folder (${real}, reached through a symlink). Each emotion folder must be imported once.`, { path: root });
    }
    seen.set(real, f.rel);
  }
  return { found, ignored };
}

/** Streams an image-folder tree into `writer`, decoding each image to 48×48 8-bit grayscale with sharp. */
export async function readFerFolders(root: string, writer: PackedWriter, onProgress: (done: number, total: number) => void): Promise<FolderResult> {
  const { found: folders, ignored: ignoredFolders } = findEmotionFolders(root);
  if (!folders.length) {
    throw new AppError(
      'INVALID_DATA',
      `${root} has no emotion subfolders: expected train/<emotion>/ and test/<emotion>/ (or <emotion>/ directly), where <emotion> is one of ${EMOTIONS.join(', ')}.`,
      { path: root },
    );
  }
  const images: ImageFile[] = [];
  let skipped = 0;
  for (const folder of folders) {
    for (const entry of listDir(folder.dir)) {
      // A dangling link with an image name is kept: its decode fails naming the path, instead of a silent skip.
      const notFile = entry.stat !== null && !entry.stat.isFile();
      if (notFile || !IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
        skipped++;
        continue;
      }
      images.push({
        path: entry.path,
        source: `${folder.rel}/${entry.name}`,
        label: folder.label,
        split: SPLITS.indexOf(splitFor(folder.role, entry.name)),
      });
    }
  }
  if (!images.length) throw new AppError('INVALID_DATA', `${root} has emotion folders but no images in them (${skipped} other file(s) skipped).`, { path: root });

  let converted = 0;
  for (let i = 0; i < images.length; i += WINDOW) {
    const batch = images.slice(i, i + WINDOW);
    const decoded = await Promise.all(batch.map((img) => decodeImage(img.path)));
    decoded.forEach((d, k) => {
      const img = batch[k]!;
      if (d.converted) converted++;
      writer.append(d.pixels, img.label, img.split, img.source);
    });
    onProgress(Math.min(i + WINDOW, images.length), images.length);
  }
  return { converted, skipped, ignoredFolders };
}

/** 48×48 grayscale bytes of one image, and whether it had to be resized or converted to get there. */
export async function decodeImage(file: string): Promise<{ pixels: Buffer; converted: boolean }> {
  try {
    // One read: header parse and decode both work from the same buffer.
    const bytes = await readFile(file);
    const meta = await sharp(bytes).metadata();
    const converted = meta.width !== IMAGE_SIZE || meta.height !== IMAGE_SIZE || meta.channels !== 1 || (meta.depth !== undefined && meta.depth !== 'uchar');
    const { data, info } = await sharp(bytes, { failOn: 'truncated' })
      .removeAlpha()
      .toColourspace('b-w')
      .resize(IMAGE_SIZE, IMAGE_SIZE, { fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 || data.length !== PIXELS_PER_IMAGE) {
      throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, not 48×48×1`);
    }
    return { pixels: data, converted };
  } catch (err) {
    throw new AppError('INVALID_DATA', `${file}: cannot decode this image (${(err as Error).message.split('\n')[0]}). Remove or replace the file.`, { path: file });
  }
}
