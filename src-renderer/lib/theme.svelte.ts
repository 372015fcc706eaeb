/** The OS colour scheme, live: charts read `theme.dark` so they recolour when the OS switches. */
class Theme {
  dark = $state(false);

  constructor() {
    if (typeof window === 'undefined' || !window.matchMedia) return;
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    this.dark = mq.matches;
    mq.addEventListener('change', (e) => (this.dark = e.matches));
  }
}

export const theme = new Theme();
