import { h } from "../ui/dom.ts";

/**
 * A small floating menu at the pointer: a title, then buttons (and inputs a
 * button may read). It closes on a choice, on Escape and on a click outside.
 */

export interface MenuItem {
  readonly label: string;
  /** A stable name for tests (data-action). */
  readonly action: string;
  readonly run: () => void;
  readonly disabled?: boolean;
}

let open: { element: HTMLElement; close: () => void } | null = null;

export function closeMenu(): void {
  open?.close();
}

/** Shows a menu at (clientX, clientY); `extra` goes between the title and the buttons (an amount to read, say). */
export function showMenu(clientX: number, clientY: number, title: string, items: readonly MenuItem[], extra: HTMLElement | null = null): HTMLElement {
  closeMenu();
  const element = h("div", { class: "live-menu", role: "menu", "data-menu": title });
  element.appendChild(h("div", { class: "live-menu-title" }, title));
  if (extra !== null) element.appendChild(extra);
  for (const item of items) {
    const button = h("button", { type: "button", "data-action": item.action, disabled: item.disabled === true }, item.label);
    button.addEventListener("click", (e) => {
      e.stopPropagation();
      close();
      item.run();
    });
    element.appendChild(button);
  }
  document.body.appendChild(element);
  const rect = element.getBoundingClientRect();
  element.style.left = `${Math.max(4, Math.min(window.innerWidth - rect.width - 4, clientX + 6))}px`;
  element.style.top = `${Math.max(4, Math.min(window.innerHeight - rect.height - 4, clientY + 6))}px`;
  const outside = (e: Event) => {
    if (!element.contains(e.target as Node)) close();
  };
  const escape = (e: KeyboardEvent) => {
    if (e.key === "Escape") close();
  };
  function close(): void {
    element.remove();
    document.removeEventListener("pointerdown", outside, true);
    document.removeEventListener("keydown", escape, true);
    if (open?.element === element) open = null;
  }
  // Listen from the next turn, so the click that opened the menu does not close it.
  setTimeout(() => {
    document.addEventListener("pointerdown", outside, true);
    document.addEventListener("keydown", escape, true);
  }, 0);
  open = { element, close };
  return element;
}
