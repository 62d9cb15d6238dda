/* <aigc-notice>: a persistent, accessible notice that content is AI-generated (GB 45438-2025 clause 5,
 * interactive interfaces; Labeling Measures Art. 4(一)). Dependency-free custom element, Apache-2.0, part of hegui.
 *
 *   load this file with a script element (src="aigc-notice.js", defer), then:
 *   <aigc-notice></aigc-notice>                         default text 本内容由人工智能生成
 *   <aigc-notice text="AI生成" position="top"></aigc-notice>
 *
 * Attributes: text (must hold 人工智能 or AI, and 生成 and/or 合成; otherwise the default is shown and a console
 * warning names the missing element), position = inline | top | bottom (sticky bar), theme = auto | light | dark.
 * Theming: CSS custom properties --aigc-bg, --aigc-fg, --aigc-border, --aigc-radius, --aigc-font-size.
 * Dark mode follows prefers-color-scheme unless theme is set.
 */
(function () {
  "use strict";
  var DEFAULT_TEXT = "本内容由人工智能生成";
  var AI = /人工智能|(^|[^A-Za-z])(AI|ＡＩ)(?![A-Za-z])/;
  var GEN = /生成|合成/;

  function compliant(text) {
    return AI.test(text) && GEN.test(text);
  }

  var STYLE =
    ":host{display:block;--_bg:var(--aigc-bg,#eef2ff);--_fg:var(--aigc-fg,#1e1b4b);" +
    "--_border:var(--aigc-border,#6366f1);font-size:var(--aigc-font-size,0.875rem)}" +
    ":host([hidden]){display:none}" +
    ":host([position=top]),:host([position=bottom]){position:sticky;z-index:1000;left:0;right:0}" +
    ":host([position=top]){top:0}:host([position=bottom]){bottom:0}" +
    "@media (prefers-color-scheme: dark){:host(:not([theme=light])){--_bg:var(--aigc-bg,#1e1b4b);" +
    "--_fg:var(--aigc-fg,#e0e7ff);--_border:var(--aigc-border,#818cf8)}}" +
    ":host([theme=dark]){--_bg:var(--aigc-bg,#1e1b4b);--_fg:var(--aigc-fg,#e0e7ff);--_border:var(--aigc-border,#818cf8)}" +
    ":host([theme=light]){--_bg:var(--aigc-bg,#eef2ff);--_fg:var(--aigc-fg,#1e1b4b);--_border:var(--aigc-border,#6366f1)}" +
    ".notice{display:flex;align-items:center;gap:.5em;margin:0;padding:.4em .8em;background:var(--_bg);" +
    "color:var(--_fg);border:1px solid var(--_border);border-radius:var(--aigc-radius,.5em);" +
    "font-family:system-ui,'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;line-height:1.4}" +
    ".badge{flex:none;font-weight:700;font-size:.8em;padding:.05em .45em;border-radius:.3em;" +
    "background:var(--_border);color:var(--_bg)}";

  class AigcNotice extends HTMLElement {
    static get observedAttributes() {
      return ["text"];
    }
    constructor() {
      super();
      var root = this.attachShadow({ mode: "open" });
      var style = document.createElement("style");
      style.textContent = STYLE;
      this._box = document.createElement("p");
      this._box.className = "notice";
      this._box.setAttribute("part", "notice");
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.setAttribute("aria-hidden", "true");
      badge.textContent = "AI";
      this._text = document.createElement("span");
      this._text.className = "text";
      this._box.append(badge, this._text);
      root.append(style, this._box);
    }
    connectedCallback() {
      if (!this.hasAttribute("role")) this.setAttribute("role", "note");
      this._render();
    }
    attributeChangedCallback() {
      this._render();
    }
    get text() {
      return this._text.textContent;
    }
    _render() {
      var wanted = this.getAttribute("text");
      var text = wanted && compliant(wanted) ? wanted : DEFAULT_TEXT;
      if (wanted && text !== wanted) {
        console.warn("aigc-notice: text '" + wanted + "' lacks " +
          (AI.test(wanted) ? "the generation element (生成/合成)" : "the AI element (人工智能/AI)") +
          "; showing the default");
      }
      this._text.textContent = text; /* textContent: never parsed as HTML */
      this.setAttribute("aria-label", text);
      this.dataset.aigcLabel = "explicit";
    }
  }

  if (!customElements.get("aigc-notice")) customElements.define("aigc-notice", AigcNotice);
  if (typeof window !== "undefined") window.AigcNotice = { compliant: compliant, DEFAULT_TEXT: DEFAULT_TEXT };
})();
