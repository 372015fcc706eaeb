/** Browser-side save: a Blob link click. Works in Electron's renderer too. */
export function downloadText(filename: string, text: string, mime = 'text/plain'): void {
  saveBlob(filename, new Blob([text], { type: `${mime};charset=utf-8` }));
}

function saveBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Clipboard write with a fallback for pages where the async clipboard API is refused (plain http). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // fall through to the textarea copy
    }
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('The browser refused to copy to the clipboard; use Download instead.');
}

/** The table formats the exporters write, with the file extension and MIME type a download gets. */
export const EXPORT_TYPES = {
  csv: { ext: 'csv', mime: 'text/csv', label: 'CSV' },
  md: { ext: 'md', mime: 'text/markdown', label: 'Markdown' },
  latex: { ext: 'tex', mime: 'application/x-latex', label: 'LaTeX' },
} as const satisfies Record<'csv' | 'md' | 'latex', { ext: string; mime: string; label: string }>;

/** Browser-side save of binary content that crossed the contract as base64 (a contact-sheet PNG). */
export function downloadBase64(filename: string, base64: string, mime: string): void {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  saveBlob(filename, new Blob([bytes], { type: mime }));
}
