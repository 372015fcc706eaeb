// An ESLint processor that lints a .svelte component's <script> blocks as TypeScript (there is no Svelte parser
// among the dev dependencies). Everything outside the script blocks becomes spaces, newlines kept, so lines and
// columns in the messages are the component's own. Only the import-layering rule runs on these blocks.
const SCRIPT = /(<script\b[^>]*>)([\s\S]*?)(<\/script>)/g;

/** @type {import('eslint').Linter.Processor} */
export const svelteScripts = {
  meta: { name: 'svelte-scripts' },
  preprocess(text) {
    const blank = (s) => s.replace(/[^\n]/g, ' ');
    let out = '';
    let last = 0;
    for (const m of text.matchAll(SCRIPT)) {
      const start = m.index + m[1].length;
      out += blank(text.slice(last, start)) + m[2];
      last = start + m[2].length;
    }
    out += blank(text.slice(last));
    return [{ text: out, filename: 'script.ts' }];
  },
  postprocess: (messages) => messages.flat(),
  supportsAutofix: false,
};
