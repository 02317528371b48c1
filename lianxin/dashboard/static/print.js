// The call list's print button (an inline onclick would break the page's CSP: scripts from files only).
document.getElementById("print-now")?.addEventListener("click", () => window.print());
