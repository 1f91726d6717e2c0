// Progressive enhancement only: every page works without this file.
// A refused htmx request (4xx/5xx) must never fail silently: show its message in the page.
document.addEventListener("htmx:responseError", function (event) {
  var xhr = event.detail.xhr;
  var box = document.getElementById("flashes");
  if (!box) { return; }
  var p = document.createElement("p");
  p.className = "flash flash-error";
  p.setAttribute("role", "alert");
  var text = "";
  try {
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var main = doc.querySelector("main p, .flash-error, p");
    text = main ? main.textContent.trim() : "";
  } catch (e) { text = ""; }
  p.textContent = text || (document.documentElement.lang.indexOf("zh") === 0 ? "操作未成功，请重试。" : "That did not work. Please try again.");
  box.appendChild(p);
});
document.addEventListener("htmx:sendError", function () {
  var box = document.getElementById("flashes");
  if (!box) { return; }
  var p = document.createElement("p");
  p.className = "flash flash-error";
  p.setAttribute("role", "alert");
  p.textContent = document.documentElement.lang.indexOf("zh") === 0 ? "网络连接失败，请稍后重试。" : "The network failed. Please try again.";
  box.appendChild(p);
});
// A "Print" button (data-print): the activation letters. Without this file, the page says to
// use the browser's Print command.
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
});
// The day of the week beside a date field (span[data-weekday-of]), in the page's language:
// the server writes it for the value shown; this keeps it right as the reader picks a day.
function weekdayOf(value) {
  var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value || "");
  if (!m) { return ""; }
  var day = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (isNaN(day.getTime()) || day.getDate() !== Number(m[3])) { return ""; }
  try {
    return day.toLocaleDateString(document.documentElement.lang || undefined, { weekday: "long" });
  } catch (e) {
    return day.toLocaleDateString(undefined, { weekday: "long" });
  }
}
function showWeekday(event) {
  var input = event.target;
  if (!input.id || !input.matches || !input.matches("input")) { return; }
  var label = document.getElementById(input.id + "-weekday");
  if (label && label.hasAttribute("data-weekday-of")) { label.textContent = weekdayOf(input.value); }
}
document.addEventListener("input", showWeekday);
document.addEventListener("change", showWeekday);
// A jump link to a folded section (a <details> at or around its target) opens it, so the
// link never lands on a closed box. Without this file the section's summary is still there.
function openFoldAt(hash) {
  if (!hash || hash.length < 2) { return; }
  var target = document.getElementById(decodeURIComponent(hash.slice(1)));
  if (!target) { return; }
  var fold = target.tagName === "DETAILS" ? target : target.querySelector(":scope > details");
  if (fold) { fold.open = true; }
  for (var el = target.parentElement; el; el = el.parentElement) {
    if (el.tagName === "DETAILS") { el.open = true; }
  }
}
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[href^='#']");
  if (link) { openFoldAt(link.getAttribute("href")); }
});
window.addEventListener("hashchange", function () { openFoldAt(window.location.hash); });
document.addEventListener("DOMContentLoaded", function () { openFoldAt(window.location.hash); });
