// Facet checkboxes apply at once (the page works without this: the "Appliquer les filtres" button).
document.addEventListener("change", function (event) {
  var box = event.target;
  if (box.type === "checkbox" && box.form && box.form.id === "search") {
    box.form.submit();
  }
});
