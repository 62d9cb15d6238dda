// Keyboard review: A pass, R fail, K focus the risk field, N focus the note. Keys are ignored while typing.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
  if (event.key === "Escape" && typing) { target.blur(); return; }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const click = (id) => { const b = document.getElementById(id); if (b) { event.preventDefault(); b.click(); } };
  const focus = (id) => { const f = document.getElementById(id); if (f) { event.preventDefault(); f.focus(); f.select(); } };
  switch (event.key.toLowerCase()) {
    case "a": click("btn-pass"); break;
    case "r": click("btn-fail"); break;
    case "k": focus("risk"); break;
    case "n": focus("note"); break;
  }
});
