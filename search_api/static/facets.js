// Facet checkboxes apply at once (without this script, the "Appliquer les filtres" button does it).
// After the reload, keyboard focus goes back to the box that was ticked.
(function () {
  var KEY = "patrimoine-facet-focus";
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type === "checkbox" && box.form && box.form.id === "search") {
      try { sessionStorage.setItem(KEY, box.name + "=" + box.value); } catch (e) { /* storage off */ }
      box.form.submit();
    }
  });
  var wanted = null;
  try { wanted = sessionStorage.getItem(KEY); sessionStorage.removeItem(KEY); } catch (e) { /* storage off */ }
  if (wanted) {
    var boxes = document.querySelectorAll("#search input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].name + "=" + boxes[i].value === wanted) { boxes[i].focus(); break; }
    }
  }
})();
