/** Hash routing (#/runs/3): works the same from file:// in Electron and from the bridge's http://. */
export type Route = { view: string; params: string[] };

function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { view: parts[0] ?? 'datasets', params: parts.slice(1) };
}

class Router {
  route = $state<Route>(parse(typeof location === 'undefined' ? '' : location.hash));

  constructor() {
    if (typeof window !== 'undefined') {
      window.addEventListener('hashchange', () => (this.route = parse(location.hash)));
    }
  }

  go(view: string, ...params: (string | number)[]): void {
    location.hash = `#/${[view, ...params.map((p) => encodeURIComponent(String(p)))].join('/')}`;
  }
}

export const router = new Router();
