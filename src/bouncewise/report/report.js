// Download the addresses to remove as a CSV file, made in the page from its own list.
(function () {
  var pre = document.getElementById("remove-csv");
  var button = document.getElementById("download-csv");
  if (!pre || !button || typeof Blob === "undefined" || !window.URL) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var blob = new Blob([pre.textContent], { type: "text/csv;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "addresses-to-remove.csv";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  });
})();
