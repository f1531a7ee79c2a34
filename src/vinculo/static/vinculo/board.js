// The kanban board: a card moves to another column by dragging it (mouse) or through its
// "Move to…" menu, which lists the other stages (touch screens, keyboards: no drag needed).
// Either way the move is posted with htmx and the board is swapped with the server's answer,
// so the server stays the one source of truth. Listeners sit on the document, so they keep
// working after each swap of #board.
(function () {
  let dragged = null;

  function move(card, column) {
    const values = { stage: column.dataset.stage };
    if (column.dataset.kind === "lost") {
      const board = document.getElementById("board");
      const reason = window.prompt(board.dataset.lostPrompt);
      if (!reason) return;
      values.lost_reason = reason;
    }
    const url = column.dataset.moveUrlTemplate.replace(
      "00000000-0000-0000-0000-000000000000", card.dataset.opportunity);
    htmx.ajax("POST", url, { target: "#board", swap: "outerHTML", values: values });
  }

  document.addEventListener("dragstart", function (e) {
    const card = e.target.closest && e.target.closest("#board .board-card");
    if (!card) return;
    dragged = card;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.dataset.opportunity);
  });
  document.addEventListener("dragover", function (e) {
    if (dragged && e.target.closest && e.target.closest("#board .board-column")) {
      e.preventDefault();
    }
  });
  document.addEventListener("drop", function (e) {
    const column = e.target.closest && e.target.closest("#board .board-column");
    if (!column || !dragged) return;
    e.preventDefault();
    const card = dragged;
    dragged = null;
    move(card, column);
  });

  // The move menu is filled when it is first opened, from the board's own columns.
  document.addEventListener("toggle", function (e) {
    const details = e.target;
    if (!details.classList || !details.classList.contains("board-move") || !details.open) return;
    const menu = details.querySelector(".board-move-menu");
    if (menu.childElementCount) return;
    const card = details.closest(".board-card");
    const current = details.closest(".board-column");
    document.querySelectorAll("#board .board-column").forEach(function (column) {
      if (column === current) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "list-group-item list-group-item-action py-1";
      button.textContent = column.getAttribute("aria-label");
      button.addEventListener("click", function () { move(card, column); });
      menu.appendChild(button);
    });
  }, true);
})();
