// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Quick exit: leave without leaving this site in the back button's history.
  document.querySelectorAll("[data-quick-exit]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      window.location.replace(link.href);
    });
  });

  // The receipt page's print button exists only when it can work.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });

  // The danger notice follows its checkbox (without JavaScript it is always shown).
  document.querySelectorAll("[data-shows-with]").forEach(function (notice) {
    var box = document.getElementById(notice.getAttribute("data-shows-with"));
    if (!box) return;
    var sync = function () {
      notice.classList.toggle("portal-js-hidden", !box.checked);
    };
    box.addEventListener("change", sync);
    sync();
  });

  // Contact details only matter when the reporter chose to give them.
  var details = document.querySelector(".portal-contact-details");
  var modes = document.querySelectorAll("input[name='contact_mode']");
  if (details && modes.length) {
    var syncContact = function () {
      var chosen = document.querySelector("input[name='contact_mode']:checked");
      details.classList.toggle("portal-js-hidden", !chosen || chosen.value !== "contact");
    };
    modes.forEach(function (mode) {
      mode.addEventListener("change", syncContact);
    });
    syncContact();
  }

  // The referral form suggests the communes of the chosen département (typed text is
  // still accepted): the list comes from the portal's own copy of the official data.
  var suggestions = document.querySelector("datalist[data-communes-for]");
  if (suggestions && window.fetch) {
    var place = document.getElementById(suggestions.getAttribute("data-communes-for"));
    var town = document.getElementById(suggestions.getAttribute("data-communes-input"));
    var fill = function () {
      suggestions.textContent = "";
      if (!place || !/^[0-9][0-9AB][0-9]?$/.test(place.value)) return;
      fetch(suggestions.getAttribute("data-communes-url") + place.value + ".json")
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (names) {
          names.forEach(function (name) {
            var option = document.createElement("option");
            option.value = name;
            suggestions.appendChild(option);
          });
        })
        .catch(function () {});
    };
    if (place && town) {
      town.setAttribute("list", suggestions.id);
      place.addEventListener("change", fill);
      fill();
    }
  }

  // Character counters for long text fields with a maximum length.
  // The wording comes translated from the page (data-counter).
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    var counter = document.createElement("p");
    counter.className = "portal-counter";
    var template = area.getAttribute("data-counter");
    var update = function () {
      counter.textContent = template.replace("{n}", area.value.length).replace("{max}", area.maxLength);
    };
    area.insertAdjacentElement("afterend", counter);
    area.addEventListener("input", update);
    update();
  });
})();
