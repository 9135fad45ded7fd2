
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** Creates an element: `h('button', { onclick: go, 'aria-label': 'Go' }, 'Go')`. Text is always text, never HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return element;
}

export function $(selector: string): HTMLElement {
  const found = document.querySelector<HTMLElement>(selector);
  if (!found) throw new Error(`no element ${selector}`);
  return found;
}

/** Replaces an element's children. */
export function show(target: HTMLElement, ...children: (Child | Child[])[]): void {
  target.replaceChildren(...children.flat().filter((c): c is Node | string => c !== null && c !== undefined && c !== false).map((c) => (typeof c === 'number' ? String(c) : c)));
}

export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) throw new Error((body as { detail?: string; title?: string } | undefined)?.detail ?? `HTTP ${response.status}`);
  return body as T;
}

/** Polls `tick` every `ms` while the page is visible; a failure is shown, then polling goes on. */
export function poll(tick: () => Promise<void>, ms: number, onError: (error: unknown) => void): void {
  let running = false;
  const run = async () => {
    if (running || document.hidden) return;
    running = true;
    try {
      await tick();
    } catch (error) {
      onError(error);
    } finally {
      running = false;
    }
  };
  void run();
  setInterval(() => void run(), ms);
}
