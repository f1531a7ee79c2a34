// Drag and drop on the kanban board: dropping a card posts the move with htmx and swaps the
// board with the server's answer, so the server stays the one source of truth. Listeners sit
// on the document, so they keep working after each swap of #board.
(function () {
  let dragged = null;
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
  });
})();
