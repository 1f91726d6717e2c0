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
