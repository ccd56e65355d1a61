// @ts-check
/**
 * @file The runtime of a Blocks page (package ui): it finds the components the
 * server rendered ([data-component] elements), holds each one's value, and
 * connects them to the server and to <rtc-stream> elements.
 *
 * Components: every element with data-component="<id>" and data-kind="<kind>"
 * is one; data-value holds its initial value as JSON (the form Output.Encode
 * makes on the server). Kinds: slider, number, checkbox, dropdown, radio,
 * textbox, button, label, json, chatbot, html, markdown; the runtime holds a
 * value for any other kind but does not show it.
 *
 * Value functions: a component with data-fn is recomputed by the server with
 * POST ui/value/<id> {"inputs": {"<input id>": value, ...}} -> {"value": v} on
 * load, every data-every milliseconds, and when one of data-inputs="id ..."
 * changes. Errors ({"error", "message"}) show in the component's .block-error.
 *
 * Buttons: a click fires a "blocks:click" event (detail {id}, bubbling) on the
 * component, calls the onClick listeners, starts every <rtc-stream
 * trigger="<id>"> that is not streaming, and POSTs ui/click/<id> for the
 * server's OnClick handlers.
 *
 * Streams: an <rtc-stream inputs="id1 id2"> gets, through element.send(), the
 * data channel message {"type": "input", "values": {"id1": v1, "id2": v2}}
 * when it starts streaming and when the server sends {"type": "tick"}; after
 * that, each change of one of those inputs sends {"type": "input", "values":
 * {"id1": v1}}, at most one message per 30 ms, the last value always sent. A
 * server message {"type": "output", "values": {"<id>": v}} on any
 * <rtc-stream> sets those components.
 *
 * Exported: getValue, setValue, onChange, onClick, setError, ready.
 */

/** @typedef {(value: any, id: string) => void} ChangeListener */

/**
 * @typedef {object} Kind
 * @property {(el: HTMLElement, value: any) => void} [show] shows a value in the DOM
 * @property {(el: HTMLElement, emit: (value: any) => void) => void} [bind]
 *   listens to a person's edits and reports each new value through emit
 */

/**
 * @typedef {object} Entry
 * @property {string} id
 * @property {HTMLElement} el the component's root element
 * @property {string} kind
 * @property {any} value
 * @property {Set<ChangeListener>} listeners
 * @property {Set<(id: string) => void>} clicks
 */

/** Minimum time between two input messages to one <rtc-stream>. */
const INPUT_INTERVAL_MS = 30;
/** How long to retry the first input message while the data channel opens. */
const SEND_RETRY_MS = 50;
const SEND_RETRY_LIMIT = 100;

/** @type {Map<string, Entry>} */
const entries = new Map();

/**
 * The value of the component with id, as the server's Decode takes it
 * (undefined for an unknown id).
 * @param {string} id
 * @returns {any}
 */
export function getValue(id) {
  return entries.get(id)?.value;
}

/**
 * Sets the value of the component with id: shows it, and when it differs from
 * the current value calls the onChange listeners (and so recomputes the
 * components that take it as input, and tells the streams that read it).
 * @param {string} id
 * @param {any} value in the form the server's Encode makes
 * @returns {boolean} whether a component has the id
 */
export function setValue(id, value) {
  const e = entries.get(id);
  if (!e) return false;
  kindOf(e).show?.(e.el, value);
  update(e, value);
  return true;
}

/**
 * Calls fn(value, id) after each change of the component's value, by a
 * person or by setValue.
 * @param {string} id
 * @param {ChangeListener} fn
 * @returns {() => void} removes the listener
 */
export function onChange(id, fn) {
  const e = entries.get(id);
  if (!e) {
    console.warn(`blocks: onChange: no component has the id "${id}"`);
    return () => {};
  }
  e.listeners.add(fn);
  return () => e.listeners.delete(fn);
}

/**
 * Calls fn(id) on each click of the Button with id.
 * @param {string} id
 * @param {(id: string) => void} fn
 * @returns {() => void} removes the listener
 */
export function onClick(id, fn) {
  const e = entries.get(id);
  if (!e) {
    console.warn(`blocks: onClick: no component has the id "${id}"`);
    return () => {};
  }
  e.clicks.add(fn);
  return () => e.clicks.delete(fn);
}

/**
 * Shows message in the component's error box; "" hides it.
 * @param {string} id
 * @param {string} message
 */
export function setError(id, message) {
  const box = /** @type {HTMLElement | null | undefined} */ (entries.get(id)?.el.querySelector(":scope > .block-error"));
  if (!box) return;
  box.textContent = message;
  box.hidden = !message;
  entries.get(id)?.el.classList.toggle("has-error", !!message);
}

/**
 * @param {Entry} e
 * @param {any} value
 */
function update(e, value) {
  const changed = !sameValue(e.value, value);
  e.value = value;
  if (!changed) return;
  e.el.dispatchEvent(new CustomEvent("blocks:change", { detail: { id: e.id, value }, bubbles: true }));
  for (const fn of [...e.listeners]) {
    try {
      fn(value, e.id);
    } catch (err) {
      console.error(`blocks: a change listener of "${e.id}" failed:`, err);
    }
  }
}

/**
 * @param {any} a
 * @param {any} b
 */
function sameValue(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---------------------------------------------------------------------------
// Kinds

/**
 * @param {HTMLElement} el
 * @param {string} sel
 * @returns {any}
 */
const q = (el, sel) => el.querySelector(sel);

/**
 * @param {string} tag
 * @param {string} [cls]
 * @param {string} [text]
 */
function make(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** @param {HTMLInputElement} range */
function paintRange(range) {
  const lo = Number(range.min), hi = Number(range.max), v = Number(range.value);
  const pct = hi > lo ? ((v - lo) / (hi - lo)) * 100 : 0;
  range.style.setProperty("--fill", `${pct}%`);
}

/** @param {HTMLTextAreaElement} ta */
function autogrow(ta) {
  const max = Number(ta.dataset.maxLines || 0);
  if (!max) return;
  const line = parseFloat(getComputedStyle(ta).lineHeight) || 20;
  ta.style.height = "auto";
  const pad = ta.offsetHeight - ta.clientHeight + 16;
  ta.style.height = `${Math.min(ta.scrollHeight, max * line + pad)}px`;
}

/**
 * Highlights indented JSON as the server does (json.go).
 * @param {HTMLElement} code
 * @param {any} value
 */
function showJSON(code, value) {
  const text = JSON.stringify(value === undefined ? null : value, null, 2) ?? "null";
  const re = /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;
  const parts = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const i = m.index ?? 0;
    if (i > last) parts.push(document.createTextNode(text.slice(last, i)));
    if (m[1] !== undefined) {
      parts.push(make("span", m[2] ? "json-key" : "json-string", m[1]));
      if (m[2]) parts.push(document.createTextNode(m[2]));
    } else if (m[3] !== undefined) {
      parts.push(make("span", "json-number", m[3]));
    } else {
      parts.push(make("span", "json-literal", m[4]));
    }
    last = i + m[0].length;
  }
  if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
  code.replaceChildren(...parts);
}

/** @type {Record<string, Kind>} */
const KINDS = {
  slider: {
    show(el, v) {
      const range = q(el, "input.slider-range"), num = q(el, "input.slider-number");
      range.value = String(v);
      num.value = String(v);
      paintRange(range);
    },
    bind(el, emit) {
      const range = /** @type {HTMLInputElement} */ (q(el, "input.slider-range"));
      const num = /** @type {HTMLInputElement} */ (q(el, "input.slider-number"));
      range.addEventListener("input", () => {
        num.value = range.value;
        paintRange(range);
        emit(Number(range.value));
      });
      const fromNumber = (/** @type {boolean} */ final) => {
        const v = num.valueAsNumber;
        if (Number.isNaN(v)) return;
        const clamped = Math.min(Number(range.max), Math.max(Number(range.min), v));
        if (clamped !== v && !final) return; // still typing
        if (final) num.value = String(clamped);
        range.value = String(clamped);
        paintRange(range);
        emit(clamped);
      };
      num.addEventListener("input", () => fromNumber(false));
      num.addEventListener("change", () => fromNumber(true));
    },
  },
  number: {
    show(el, v) {
      q(el, "input").value = String(v);
    },
    bind(el, emit) {
      const input = /** @type {HTMLInputElement} */ (q(el, "input"));
      input.addEventListener("input", () => {
        if (input.value !== "" && !Number.isNaN(input.valueAsNumber)) emit(input.valueAsNumber);
      });
    },
  },
  checkbox: {
    show(el, v) {
      q(el, "input").checked = !!v;
    },
    bind(el, emit) {
      const input = /** @type {HTMLInputElement} */ (q(el, "input"));
      input.addEventListener("change", () => emit(input.checked));
    },
  },
  dropdown: {
    show(el, v) {
      const boxes = /** @type {HTMLInputElement[]} */ ([...el.querySelectorAll(".choices input")]);
      if (boxes.length > 0 || q(el, ".choices")) {
        const chosen = Array.isArray(v) ? v : [];
        for (const b of boxes) b.checked = chosen.includes(b.value);
        limitChoices(el);
        return;
      }
      const field = q(el, "select, input");
      if (field) field.value = v ?? "";
    },
    bind(el, emit) {
      const group = q(el, ".choices");
      if (group) {
        group.addEventListener("change", () => {
          limitChoices(el);
          emit([...el.querySelectorAll(".choices input:checked")].map((b) => /** @type {HTMLInputElement} */ (b).value));
        });
        limitChoices(el);
        return;
      }
      const field = /** @type {HTMLInputElement | HTMLSelectElement} */ (q(el, "select, input"));
      field.addEventListener(field.tagName === "SELECT" ? "change" : "input", () => emit(field.value));
    },
  },
  radio: {
    show(el, v) {
      for (const b of el.querySelectorAll(".choices input")) {
        const box = /** @type {HTMLInputElement} */ (b);
        box.checked = box.value === v;
      }
    },
    bind(el, emit) {
      q(el, ".choices").addEventListener("change", () => emit(q(el, ".choices input:checked")?.value ?? ""));
    },
  },
  textbox: {
    show(el, v) {
      const field = q(el, "input, textarea");
      field.value = v ?? "";
      if (field.tagName === "TEXTAREA") autogrow(field);
    },
    bind(el, emit) {
      const field = /** @type {HTMLInputElement | HTMLTextAreaElement} */ (q(el, "input, textarea"));
      field.addEventListener("input", () => {
        if (field instanceof HTMLTextAreaElement) autogrow(field);
        emit(field.value);
      });
      if (field instanceof HTMLTextAreaElement) autogrow(field);
    },
  },
  button: {
    show(el, v) {
      q(el, "button").textContent = String(v ?? "");
    },
  },
  label: {
    show(el, v) {
      const value = v && typeof v === "object" ? v : { label: String(v ?? "") };
      q(el, ".label-top").textContent = value.label ?? "";
      const items = (Array.isArray(value.confidences) ? value.confidences : []).map((/** @type {any} */ c) => {
        const pct = Math.max(0, Math.min(1, Number(c.confidence) || 0)) * 100;
        const li = make("li", "confidence");
        const head = make("div", "confidence-head");
        head.append(make("span", "confidence-name", String(c.label ?? "")), make("span", "confidence-value", `${Math.round(pct)}%`));
        const bar = make("div", "confidence-bar");
        const fill = make("div", "confidence-fill");
        fill.style.width = `${pct.toFixed(2)}%`;
        bar.append(fill);
        li.append(head, bar);
        return li;
      });
      q(el, ".label-confidences").replaceChildren(...items);
    },
  },
  json: {
    show(el, v) {
      showJSON(q(el, "pre.json-output code"), v);
    },
  },
  chatbot: {
    show(el, v) {
      const log = q(el, ".chat-log");
      const msgs = Array.isArray(v) ? v : [];
      const nodes = msgs.map((/** @type {any} */ m) => {
        const role = ["user", "assistant", "system"].includes(m?.role) ? m.role : "assistant";
        const row = make("div", `message ${role}`);
        const bubble = make("div", "bubble prose");
        // html is the server's safe rendering of the Markdown (Chatbot.Encode).
        if (typeof m?.html === "string") bubble.innerHTML = m.html;
        else bubble.textContent = String(m?.content ?? "");
        row.append(bubble);
        return row;
      });
      const placeholder = q(log, ".chat-placeholder");
      placeholder.hidden = msgs.length > 0 || !placeholder.textContent;
      log.replaceChildren(placeholder, ...nodes);
      log.scrollTop = log.scrollHeight;
    },
  },
  html: {
    show(el, v) {
      // The application's own HTML (ui.HTML), as on the server.
      q(el, ".html-content").innerHTML = String(v ?? "");
    },
  },
  markdown: {
    show(el, v) {
      const content = q(el, ".markdown-content");
      // html is the server's safe rendering (Markdown.Encode); plain text
      // from elsewhere is shown as text.
      if (v && typeof v === "object" && typeof v.html === "string") content.innerHTML = v.html;
      else content.textContent = String(v ?? "");
    },
  },
};

/** @param {HTMLElement} el a multiselect dropdown: disable boxes beyond data-max */
function limitChoices(el) {
  const group = q(el, ".choices");
  const max = Number(group?.dataset.max || 0);
  if (!max || el.classList.contains("static")) return;
  const boxes = /** @type {HTMLInputElement[]} */ ([...el.querySelectorAll(".choices input")]);
  const full = boxes.filter((b) => b.checked).length >= max;
  for (const b of boxes) b.disabled = full && !b.checked;
}

/** @param {Entry} e */
function kindOf(e) {
  return KINDS[e.kind] ?? {};
}

// ---------------------------------------------------------------------------
// Server requests

/**
 * POSTs JSON and returns the reply's JSON, throwing an Error with the
 * server's message for a failure.
 * @param {string} url
 * @param {any} body
 */
async function post(url, body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let reply = null;
  try {
    reply = await res.json();
  } catch {}
  if (!res.ok) {
    const msg = reply?.message || `${res.status} ${res.statusText}`;
    throw new Error(msg);
  }
  return reply;
}

/** A component whose value the server computes (data-fn). */
class Computed {
  /** @param {Entry} e */
  constructor(e) {
    this.e = e;
    this.inputs = (e.el.dataset.inputs ?? "").split(/\s+/).filter(Boolean);
    this.every = Number(e.el.dataset.every || 0);
    this.running = false;
    this.again = false;
  }

  start() {
    for (const id of this.inputs) onChange(id, () => this.run(false));
    this.run(false);
    if (this.every > 0) setInterval(() => this.run(true), this.every);
  }

  /**
   * Recomputes now, or right after the request in flight (once, however many
   * changes came meanwhile, so the last inputs always win). A timer tick
   * during a request is dropped.
   * @param {boolean} fromTimer
   */
  async run(fromTimer) {
    if (this.running) {
      if (!fromTimer) this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.once();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  async once() {
    /** @type {Record<string, any>} */
    const inputs = {};
    for (const id of this.inputs) inputs[id] = getValue(id);
    const { id } = this.e;
    this.e.el.toggleAttribute("data-pending", true);
    try {
      const reply = await post(`ui/value/${encodeURIComponent(id)}`, { inputs });
      setError(id, "");
      setValue(id, reply?.value);
    } catch (err) {
      setError(id, err instanceof Error ? err.message : String(err));
    } finally {
      this.e.el.toggleAttribute("data-pending", false);
    }
  }
}

// ---------------------------------------------------------------------------
// Streams

/** Connects one <rtc-stream> to the page's inputs and outputs. */
class StreamLink {
  /** @param {HTMLElement & {send?: (msg: object) => boolean, start?: () => void}} el */
  constructor(el) {
    this.el = el;
    this.inputs = (el.getAttribute("inputs") ?? "").split(/\s+/).filter((id) => {
      if (!id) return false;
      if (entries.has(id)) return true;
      console.warn(`blocks: <rtc-stream inputs>: no component has the id "${id}"`);
      return false;
    });
    this.streaming = el.dataset.state === "streaming";
    /** @type {Record<string, any>} */
    this.pending = {};
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retry = undefined;
    this.lastSent = -Infinity;

    el.addEventListener("statechange", (ev) => {
      const state = /** @type {CustomEvent} */ (ev).detail?.state;
      const was = this.streaming;
      this.streaming = state === "streaming";
      if (this.streaming && !was) this.sendAll();
      if (!this.streaming) this.reset();
    });
    el.addEventListener("servermessage", (ev) => this.onMessage(/** @type {CustomEvent} */ (ev).detail));
    for (const id of this.inputs) onChange(id, (v) => this.changed(id, v));
    if (this.streaming) this.sendAll();
  }

  /** @param {any} msg */
  onMessage(msg) {
    const m = msg?.type === "unknown" ? msg.raw : msg;
    if (m?.type === "tick") {
      this.sendAll();
    } else if (m?.type === "output" && m.values && typeof m.values === "object") {
      for (const [id, v] of Object.entries(m.values)) {
        if (!setValue(id, v)) console.warn(`blocks: an output message names "${id}", which no component has`);
      }
    }
  }

  reset() {
    clearTimeout(this.timer);
    clearTimeout(this.retry);
    this.timer = this.retry = undefined;
    this.pending = {};
  }

  /** Sends every input's value; retried while the data channel opens. */
  sendAll(attempt = 0) {
    if (this.inputs.length === 0) return;
    this.reset();
    /** @type {Record<string, any>} */
    const values = {};
    for (const id of this.inputs) values[id] = getValue(id);
    if (this.send(values)) return;
    if (this.streaming && attempt < SEND_RETRY_LIMIT) {
      this.retry = setTimeout(() => this.sendAll(attempt + 1), SEND_RETRY_MS);
    }
  }

  /**
   * @param {string} id
   * @param {any} value
   */
  changed(id, value) {
    if (!this.streaming || this.retry !== undefined) return; // the full set goes out anyway
    this.pending[id] = value;
    if (this.timer !== undefined) return;
    const wait = this.lastSent + INPUT_INTERVAL_MS - performance.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  flush() {
    this.timer = undefined;
    const values = this.pending;
    this.pending = {};
    if (Object.keys(values).length > 0) this.send(values);
  }

  /**
   * @param {Record<string, any>} values
   * @returns {boolean}
   */
  send(values) {
    this.lastSent = performance.now();
    try {
      return this.el.send?.({ type: "input", values }) ?? false;
    } catch (err) {
      console.warn("blocks: sending input values failed:", err);
      return false;
    }
  }
}

// ---------------------------------------------------------------------------
// Start

/** @param {Entry} e */
function bindButton(e) {
  const button = q(e.el, "button");
  if (!button) return;
  button.addEventListener("click", async () => {
    e.el.dispatchEvent(new CustomEvent("blocks:click", { detail: { id: e.id }, bubbles: true }));
    for (const fn of [...e.clicks]) {
      try {
        fn(e.id);
      } catch (err) {
        console.error(`blocks: a click listener of "${e.id}" failed:`, err);
      }
    }
    for (const s of document.querySelectorAll("rtc-stream[trigger]")) {
      const stream = /** @type {HTMLElement & {start?: () => void, state?: string}} */ (s);
      const ids = (stream.getAttribute("trigger") ?? "").split(/\s+/);
      if (ids.includes(e.id) && stream.state !== "streaming" && stream.state !== "connecting") stream.start?.();
    }
    try {
      await post(`ui/click/${encodeURIComponent(e.id)}`, {});
      setError(e.id, "");
    } catch (err) {
      setError(e.id, err instanceof Error ? err.message : String(err));
    }
  });
}

/** Finds the components, binds them, and starts value functions and streams. */
function start() {
  for (const node of document.querySelectorAll("[data-component]")) {
    const el = /** @type {HTMLElement} */ (node);
    const id = el.dataset.component ?? "";
    if (!id || entries.has(id)) continue;
    let value;
    if (el.dataset.value !== undefined) {
      try {
        value = JSON.parse(el.dataset.value);
      } catch {
        console.warn(`blocks: "${id}" has a data-value that is not JSON`);
      }
    }
    entries.set(id, { id, el, kind: el.dataset.kind ?? "", value, listeners: new Set(), clicks: new Set() });
  }
  for (const e of entries.values()) {
    kindOf(e).bind?.(e.el, (v) => update(e, v));
    if (e.kind === "button") bindButton(e);
  }
  for (const s of document.querySelectorAll("rtc-stream")) new StreamLink(/** @type {HTMLElement} */ (s));
  for (const e of entries.values()) {
    if (e.el.hasAttribute("data-fn")) new Computed(e).start();
  }
  document.documentElement.dataset.blocks = "ready";
  document.dispatchEvent(new CustomEvent("blocks:ready"));
}

/** Resolves once the runtime has found the page's components. */
export const ready =
  document.readyState === "loading"
    ? new Promise((resolve) => document.addEventListener("DOMContentLoaded", () => resolve(start()), { once: true }))
    : Promise.resolve(start());
