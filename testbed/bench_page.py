"""The benchmark's fixed story and what it puts into SillyTavern's page to time it (`testbed.bench`)."""
from __future__ import annotations

import random

WORDS_PER_S = 60.0
CHUNK_CHARS = 8
IMAGE_LATENCY = 0.8

# -- the fixed story ------------------------------------------------------------------
_SUBJECTS = ["The caravan", "Amira", "The old guide", "A lone hawk", "The wind", "Her brother", "The camels",
             "A stranger in grey", "The well keeper", "The children", "The moon", "A drummer"]
_VERBS = ["crossed", "watched", "followed", "circled", "reached", "remembered", "carried", "shadowed",
          "greeted", "traced", "warmed", "climbed"]
_OBJECTS = ["the long copper dunes", "the dry bed of the river", "the ruined tower at the edge of the oasis",
            "a line of palms bending in the heat", "the last light over the salt flats", "the fires of the camp",
            "the narrow pass between two red cliffs", "a map drawn on goatskin", "the stars above the well",
            "the quiet market of the border town", "an old song about the sea", "the tracks of a fox in the sand"]
_TAILS = ["before the heat returned", "without a word", "as the drums began", "while the others slept",
          "with slow and careful steps", "until the shadows grew long", "as if it had always been there",
          "and nobody asked why"]
STORY_PROMPTS = ["a desert caravan at dusk crossing copper dunes",
                 "a young woman standing on a ruined tower above an oasis",
                 "campfires under a starry desert sky with drummers",
                 "a border town market at dawn with spice stalls"]


def _sentences(rng: random.Random, words: int) -> str:
    out: list[str] = []
    count = 0
    while count < words:
        s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
        out.append(s)
        count += len(s.split())
    return " ".join(out)


def story_text(words: int = 600, prompts: list[str] = STORY_PROMPTS, seed: int = 12) -> str:
    """About `words` words in len(prompts) + 1 paragraphs, one tag ending each but the last."""
    rng = random.Random(seed)
    per = words // (len(prompts) + 1)
    parts = []
    for prompt in prompts:
        parts.append(f'{_sentences(rng, per)} <img-prompt="{prompt}">')
    parts.append(_sentences(rng, per))
    return "\n\n".join(parts)


STORY = story_text(560)
STORY_WORDS = len(STORY.split())

# -- page instrumentation ----------------------------------------------------------------
INSTRUMENT_JS = """() => {
  if (window.__bench) return;
  const c = SillyTavern.getContext();
  const E = c.eventTypes;
  const B = window.__bench = { tokens: [], tokenMs: 0, renderMs: 0, renders: 0, hookMs: 0, promptOurs: 0, saves: 0, saveBytes: 0, counts: [], saveTimes: [], mr: [], cc: [], sd: [], shown: {} };
  const es = c.eventSource;
  const emit = es.emit;
  let patched = false;
  es.emit = async function (event, ...args) {
    if (event === E.STREAM_TOKEN_RECEIVED) {
      const sp = SillyTavern.getContext().streamingProcessor;
      if (!patched && sp) {
        patched = true;
        const proto = Object.getPrototypeOf(sp);
        const progress = proto.onProgressStreaming;
        proto.onProgressStreaming = async function (...a) {
          const t0 = performance.now();
          try { return await progress.apply(this, a); }
          finally { B.renderMs += performance.now() - t0; B.renders++; }
        };
      }
      const t0 = performance.now();
      try { return await emit.call(this, event, ...args); }
      finally { const t1 = performance.now(); B.tokenMs += t1 - t0; B.tokens.push([t0, String(args[0] ?? '').length]); }
    }
    if (event === E.MESSAGE_RECEIVED || event === E.CHAT_CHANGED || event === E.CHAT_COMPLETION_PROMPT_READY) {
      // Each listener timed on its own (the extension's is told by its source), through
      // wrapped copies put in place for this emit only.
      const rec = { event, id: args[0], type: args[1], start: performance.now(), end: 0, ours: 0 };
      if (event === E.MESSAGE_RECEIVED) B.mr.push(rec); else if (event === E.CHAT_CHANGED) B.cc.push(rec);
      const originals = Array.isArray(this.events[event]) ? this.events[event].slice() : [];
      const wrapped = new Set();
      this.events[event] = originals.map((fn) => {
        const mine = /replies\.onMessageReceived|markChatLoaded\(\)|pruneChatCompletion\(/.test(String(fn));
        const w = async function (...a) {
          const t0 = performance.now();
          try { return await fn.apply(this, a); } finally {
            if (mine) { rec.ours += performance.now() - t0; if (event === E.CHAT_COMPLETION_PROMPT_READY) B.promptOurs += performance.now() - t0; }
          }
        };
        wrapped.add(w);
        return w;
      });
      try { return await emit.call(this, event, ...args); } finally {
        rec.end = performance.now();
        const added = (this.events[event] ?? []).filter((f) => !wrapped.has(f));
        this.events[event] = [...originals, ...added];
      }
    }
    return emit.call(this, event, ...args);
  };
  const ic = globalThis.inlineImagesInterceptor;
  if (typeof ic === 'function') {
    globalThis.inlineImagesInterceptor = async function (...a) {
      const t0 = performance.now();
      try { return await ic.apply(this, a); } finally { B.promptOurs += performance.now() - t0; }
    };
  }
  const fetch0 = window.fetch;
  window.fetch = function (url, init) {
    if (String(url).includes('/api/chats/save')) {
      B.saves++; B.saveBytes += String(init?.body ?? '').length;
      const rec = [performance.now(), 0];
      B.saveTimes.push(rec);
      return fetch0.apply(this, arguments).finally(() => { rec[1] = performance.now(); });
    }
    if (String(url).includes('/api/tokenizers/')) B.counts.push(performance.now());
    return fetch0.apply(this, arguments);
  };
  const mf = c.messageFormatter;
  if (mf?.runStage) {
    const runStage = mf.runStage;
    mf.runStage = function (...a) {
      const t0 = performance.now();
      try { return runStage.apply(this, a); } finally { B.hookMs += performance.now() - t0; }
    };
  }
  const wrapSd = () => {
    const cmd = SillyTavern.getContext().SlashCommandParser?.commands?.sd;
    if (!cmd || cmd.__bench) return Boolean(cmd);
    const callback = cmd.callback;
    cmd.callback = async function (args, prompt) {
      const rec = { prompt: String(prompt), called: performance.now(), returned: 0 };
      B.sd.push(rec);
      try { return await callback.call(this, args, prompt); } finally { rec.returned = performance.now(); }
    };
    cmd.__bench = true;
    return true;
  };
  if (!wrapSd()) { const t = setInterval(() => { if (wrapSd()) clearInterval(t); }, 50); }
  const seen = (img) => {
    const mes = img.closest('.mes');
    if (!mes) return;
    const key = `${mes.getAttribute('mesid')}|${img.getAttribute('alt')}`;
    if (!(key in B.shown)) B.shown[key] = performance.now();
  };
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.nodeType !== 1) continue;
      if (n.matches('img[data-iig]')) seen(n);
      for (const img of n.querySelectorAll('img[data-iig]')) seen(img);
    }
  }).observe(document.querySelector('#chat'), { childList: true, subtree: true });
}"""

RESET_JS = "() => { const B = window.__bench; B.tokens = []; B.tokenMs = 0; B.renderMs = 0; B.renders = 0; B.hookMs = 0; B.promptOurs = 0; B.saves = 0; B.saveBytes = 0; B.counts = []; B.saveTimes = []; B.mr = []; B.cc = []; B.sd = []; B.shown = {}; }"

SEND_JS = """(text) => {
  const box = document.querySelector('#send_textarea');
  box.value = text; box.dispatchEvent(new Event('input', { bubbles: true }));
  window.__bench.sendAt = performance.now();
  document.querySelector('#send_but').click();
  return window.__bench.sendAt;
}"""

DEBUG_JS = """() => {
  const c = SillyTavern.getContext();
  const listeners = Object.values(c.eventSource.events).reduce((n, a) => n + (Array.isArray(a) ? a.length : 0), 0);
  const g = globalThis.inlineImages;
  if (!g) return { listeners, jobs: null };
  const byStatus = {};
  for (const j of g.jobs.jobs) byStatus[j.status] = (byStatus[j.status] ?? 0) + 1;
  return { listeners, jobs: g.jobs.jobs.size, byStatus, paths: g.jobs.files.paths.size, streams: g.streams.streams.size,
           kept: g.kept?.records?.length ?? null, saverWaiting: g.saver?.waiting?.size ?? null,
           writerRunning: g.promptWriter?.running?.size ?? null, writerWaiting: g.promptWriter?.waiting?.size ?? null,
           manualBusy: g.manual?.busy?.size ?? null };
}"""
