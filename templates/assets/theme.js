/* kbwiki: apply the remembered theme before the page paints (the toggle itself is in kbwiki.js). */
(function () {
  try {
    var theme = localStorage.getItem("kbwiki-theme");
    if (theme === "light" || theme === "dark") document.documentElement.setAttribute("data-theme", theme);
  } catch (e) { /* storage blocked: follow the system */ }
})();
