// DoCodeGo Sessions: the little behaviour htmx does not cover. No inline script anywhere
// (the CSP forbids it); every listener is on document, because htmx 4 sends events to
// document once their source element has been swapped away.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Every htmx request carries the CSRF token as a header.
  document.addEventListener("htmx:config:request", function (e) {
    e.detail.ctx.request.headers["X-CSRF-Token"] = csrfToken();
  });

  // --- The confirm dialog ----------------------------------------------------------------
  // A Revoke button sits in a GET form to the no-JavaScript confirm page; htmx boosts that
  // form (hx-boost "target:#confirm-dialog") so it fetches the same question into the
  // page's one <dialog>, which opens once the question has arrived. lastOpener remembers
  // where focus returns.
  var lastOpener = null;

  document.addEventListener("click", function (e) {
    var closer = e.target.closest("[data-close]");
    var d = closer && closer.closest("dialog");
    if (d) d.close();
  });

  // Registered before the focus handler below, which must see the dialog's focus in place.
  // htmx 4 fires after:swap for answers that did not swap (4xx/5xx, noSwap) too.
  document.addEventListener("htmx:after:swap", function (e) {
    var ctx = e.detail.ctx;
    if (!ctx || ctx.swap === "none" || !ctx.response || ctx.response.status >= 400) return;
    // A wrong password came back into the open dialog (HX-Retarget): focus goes to its field; the error beside it (role=alert) is announced.
    var invalid = document.querySelector('#confirm-dialog[open] [data-reauth][aria-invalid="true"]');
    var h = ctx.response.headers;
    if (invalid && h && h.get && h.get("HX-Retarget") === "#confirm-dialog") {
      invalid.focus();
      return;
    }
    var target = ctx.target;
    if (target instanceof HTMLDialogElement) {
      openDialog(target, askingButton(ctx));
      return;
    }
    // An answer to Confirm: the question is settled, so the dialog closes. Its opener was
    // swapped away with the table, so focus goes to the next Revoke button or the heading.
    var src = ctx.sourceElement;
    var dialog = src && src.isConnected && src.closest("dialog");
    if (dialog && dialog.open) {
      dialog.close();
      focusAfterRevoke();
    }
  });

  // The button that asked: a boosted form's submitter.
  function askingButton(ctx) {
    var src = ctx.sourceElement;
    if (!src || !src.matches("form")) return src;
    return (ctx.sourceEvent && ctx.sourceEvent.submitter) || src.querySelector("button");
  }

  function openDialog(dialog, opener) {
    if (!dialog.open) {
      lastOpener = opener;
      dialog.showModal();
    }
    // A wrong password puts focus back in its field (the error, role=alert, is announced);
    // a question that asks for the password starts there; otherwise the safe choice first.
    var first = dialog.querySelector('[data-reauth][aria-invalid="true"]') ||
      dialog.querySelector("[data-reauth]") || dialog.querySelector("[data-close]");
    if (first) first.focus();
  }

  // Escape or Cancel: focus goes back to the button that opened the dialog.
  document.addEventListener("close", function (e) {
    var dialog = e.target;
    if (!(dialog instanceof HTMLDialogElement)) return;
    if (lastOpener && lastOpener.isConnected) lastOpener.focus();
  }, true);

  // --- Requests in flight and their failures ---------------------------------------------
  document.addEventListener("htmx:before:request", function (e) {
    var src = e.detail.ctx.sourceElement;
    var dialog = src && src.closest("dialog");
    if (dialog) {
      hideError(dialog);
      dialog.setAttribute("aria-busy", "true");
    }
    hidePageError();
  });

  document.addEventListener("htmx:finally:request", function (e) {
    var src = e.detail.ctx.sourceElement;
    var dialog = src && src.closest("dialog");
    if (!dialog) return;
    dialog.removeAttribute("aria-busy");
    // After a failure, focus goes back to Confirm (the retry). htmx disabled it for the
    // request, which dropped focus to <body>, and re-enables it right after this event,
    // so focus it in a microtask.
    var slot = dialog.querySelector(".dialog-error");
    if (dialog.open && slot && !slot.hidden) {
      queueMicrotask(function () { src.focus(); });
    }
  });

  // A 4xx/5xx answer does not swap (noSwap in htmx-config): show its words and leave the
  // page as it was, so nothing claims a success that did not happen. The Confirm button
  // stays enabled: pressing it again is the retry.
  document.addEventListener("htmx:response:error", function (e) {
    if (isLive(e.detail.ctx)) return; // a refused stream (503): the page works as without it
    showFailure(e.detail.ctx, messageFrom(e.detail.ctx.text) || pageMessage("data-server"));
  });

  // No answer at all: the network is down or the request timed out.
  document.addEventListener("htmx:error", function (e) {
    var ctx = e.detail.ctx;
    if (!ctx || ctx.response || isLive(ctx)) return;
    showFailure(ctx, pageMessage("data-network"));
  });

  function messageFrom(html) {
    if (!html) return "";
    var doc = new DOMParser().parseFromString(html, "text/html");
    var p = doc.querySelector(".error");
    return p ? p.textContent.trim() : "";
  }

  function pageMessage(attr) {
    var el = document.getElementById("page-error");
    return (el && el.getAttribute(attr)) || "Something went wrong. Please try again.";
  }

  function showFailure(ctx, message) {
    var src = ctx.sourceElement;
    var dialog = src && src.isConnected && src.closest("dialog");
    var slot = dialog ? dialog.querySelector(".dialog-error") : document.getElementById("page-error");
    if (!slot) return;
    slot.textContent = message;
    slot.hidden = false;
  }

  function hideError(dialog) {
    var slot = dialog.querySelector(".dialog-error");
    if (slot) { slot.hidden = true; slot.textContent = ""; }
  }

  function hidePageError() {
    var el = document.getElementById("page-error");
    if (el) { el.hidden = true; el.textContent = ""; }
  }

  // --- The password card ---------------------------------------------------------------------
  // Its answer replaces the whole card, so focus goes to the field at fault, else the
  // heading (the live region announces success). Registered first: the listener below
  // then sees focus in place.
  document.addEventListener("htmx:after:swap", function (e) {
    var src = e.detail && e.detail.ctx && e.detail.ctx.sourceElement;
    if (!src || !src.closest("#password-card")) return;
    var card = document.getElementById("password-card");
    var target = card && (card.querySelector('[aria-invalid="true"]') || card.querySelector("h2"));
    if (target) target.focus();
  });

  // --- Focus after a swap ----------------------------------------------------------------
  // The focused element was swapped away (a row, a notice); put focus somewhere that makes
  // sense rather than leaving it on <body>. A live change never moves focus.
  document.addEventListener("htmx:after:swap", function (e) {
    if (isLive(e.detail && e.detail.ctx)) return;
    var active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    focusAfterRevoke();
  });

  // The Revoke of the row that took the revoked one's place (the next row, else the one
  // before), else "Revoke all other sessions", else the section heading.
  var revokedIndex = -1;

  function revokeButtons() {
    return Array.prototype.slice.call(document.querySelectorAll('#sessions-body form[action$="/revoke"] > button:first-child'));
  }

  function focusAfterRevoke() {
    var buttons = revokeButtons();
    var next = (revokedIndex >= 0 && buttons.length > 0 && buttons[Math.min(revokedIndex, buttons.length - 1)]) ||
      buttons[0] || document.querySelector("#revoke-others [data-dialog]") ||
      document.getElementById("sessions-heading");
    revokedIndex = -1;
    if (next) next.focus();
  }

  // --- Rows: loading, review, local times -----------------------------------------------
  // A Revoke or Secure whose question is being fetched, or a "This was me" being sent, says
  // so (aria-busy draws a spinner); the row's place in the list is kept, for focus after.
  document.addEventListener("htmx:before:request", function (e) {
    var src = e.detail.ctx.sourceElement;
    var form = src && src.closest && src.closest("#sessions-body form, #revoke-others form, #mine");
    if (!form) return;
    var submitter = e.detail.ctx.sourceEvent && e.detail.ctx.sourceEvent.submitter;
    var button = submitter || form.querySelector("button");
    if (button) button.setAttribute("aria-busy", "true");
    if (/\/revoke$/.test(form.getAttribute("action") || "")) revokedIndex = revokeButtons().indexOf(form.querySelector("button"));
    // A row's "This was me" (it submits #mine) swaps that row: focus then goes to its Revoke.
    var row = form.id === "mine" && submitter && submitter.closest("tr");
    if (row) revokedIndex = revokeButtons().indexOf(row.querySelector('form[action$="/revoke"] > button'));
  });

  document.addEventListener("htmx:finally:request", function () {
    document.querySelectorAll('button[aria-busy="true"]').forEach(function (b) { b.removeAttribute("aria-busy"); });
  });

  // The summary card's Review: focus the first flagged row (the link alone only scrolls).
  document.addEventListener("click", function (e) {
    var review = e.target.closest && e.target.closest("[data-review]");
    if (!review) return;
    var row = document.querySelector("#sessions-body tr.flagged") || document.getElementById("sessions-heading");
    if (!row) return;
    e.preventDefault();
    if (!row.hasAttribute("tabindex")) row.setAttribute("tabindex", "-1");
    row.focus();
    row.scrollIntoView({ block: "center" });
  });

  // Times the server wrote in UTC (rows, the revoke question) in the reader's own zone.
  function localTimes(root) {
    if (!window.Intl) return;
    var lang = document.documentElement.lang || undefined;
    var fmt = new Intl.DateTimeFormat(lang, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
    (root || document).querySelectorAll("#sessions-body small time[datetime], .facts time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) t.textContent = fmt.format(d);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localTimes(); });
  document.addEventListener("htmx:after:settle", function () { localTimes(); });

  // --- Security activity -----------------------------------------------------------------
  // Runs in the capture phase, before the handler above: "Show more" (activity) and "Show
  // all ended sessions" move focus to the first row they loaded; a dismissed notice hands
  // focus to the next notice or the heading.
  document.addEventListener("htmx:after:swap", function (e) {
    var loaded = document.querySelector("#activity-list [data-autofocus], #ended-sessions [data-autofocus]");
    if (loaded) {
      loaded.removeAttribute("data-autofocus");
      loaded.focus();
      return;
    }
    var src = e.detail && e.detail.ctx && e.detail.ctx.sourceElement;
    if (src && src.hasAttribute && src.hasAttribute("data-notice-dismiss") && !src.isConnected) {
      var next = document.querySelector("[data-notice-dismiss]") || document.getElementById("sessions-heading");
      if (next) next.focus();
    }
  }, true);

  // --- Live updates ----------------------------------------------------------------------
  // The layout's #live-stream holds the SSE stream (htmx's hx-sse extension); the server
  // sends named events, which the extension dispatches on that element and which bubble
  // here. Nothing here moves focus: a live change is announced in the polite live region.
  function isLive(ctx) {
    var src = ctx && ctx.sourceElement;
    return !!(src && src.id === "live-stream");
  }

  // This device's session ended: go to sign-in, which says why; unless the page is already
  // on its way somewhere (its own "Sign out", say), where it will hear the same.
  var leaving = false;
  document.addEventListener("submit", function (e) { if (!e.defaultPrevented) leaving = true; });
  window.addEventListener("pageshow", function () { leaving = false; });

  document.addEventListener("session-ended", function (e) {
    if (leaving) return;
    var to = e.detail && e.detail.data;
    window.location.replace(to && to.charAt(0) === "/" ? to : "/login?ended=revoked");
  });

  // Something changed elsewhere: fetch the fresh partials (morphed in place). A change this
  // page made itself is already shown (the row is gone, or there), so it is not fetched
  // again; while a request of the page is in flight, changes wait for its answer, which
  // may be the one that shows them.
  var busy = 0, busySince = 0, waiting = [];

  document.addEventListener("security-changed", function (e) {
    var parts = String((e.detail && e.detail.data) || "").split(":");
    waiting.push({ op: parts[0], id: parts[1] || "" });
    flushLive();
  });

  // The stream reconnected, or the server's listener did: anything may have changed.
  document.addEventListener("security-resync", function () {
    waiting.push({ op: "resync", id: "" });
    flushLive();
  });

  document.addEventListener("htmx:before:request", function (e) {
    if (isLive(e.detail.ctx)) return;
    if (busy++ === 0) busySince = Date.now();
  });

  document.addEventListener("htmx:finally:request", function (e) {
    if (isLive(e.detail.ctx) || busy === 0) return;
    busy--;
    flushLive();
  });

  function flushLive() {
    // A request that never reports its end must not stop live updates for good.
    if (busy > 0 && Date.now() - busySince < 20000) return;
    busy = 0;
    var changes = waiting;
    waiting = [];
    var news = [], any = false;
    changes.forEach(function (c) {
      var row = c.id && document.getElementById("session-" + c.id);
      if ((c.op === "end" && c.id && !row) || (c.op === "new" && row)) return;
      any = true;
      if (c.op === "new" || c.op === "end") news.push(c);
    });
    // One fetch shows every change; it names a session when exactly one came or went.
    if (news.length === 1) refreshLive(news[0].op, news[0].id);
    else if (any) refreshLive("", "");
  }

  function refreshLive(op, id) {
    if (!document.getElementById("sessions") || !window.htmx) return; // not the security page
    var url = "/app/settings/security/live?op=" + encodeURIComponent(op) + "&session=" + encodeURIComponent(id);
    // A card showing every ended session ("Show all") keeps showing them all.
    if (document.querySelector('#ended-sessions-card[data-ended="all"]')) url += "&ended=all";
    htmx.ajax("GET", url, { source: document.getElementById("live-stream"), swap: "none" })
      .catch(function () {}); // a failed fetch: the next change or resync tries again
  }

  // The page's one confirm dialog, open about a session that ended elsewhere, says so and
  // offers Close; the words are in the page (#session-ended-text), in the reader's language.
  // Focus stays where it is, unless it was on Confirm, which goes: then Close gets it.
  document.addEventListener("htmx:after:swap", function (e) {
    if (isLive(e.detail && e.detail.ctx)) markEndedDialog();
  });

  function markEndedDialog() {
    var dialog = document.getElementById("confirm-dialog");
    var text = document.getElementById("session-ended-text");
    var confirm = dialog && dialog.open && dialog.querySelector("[hx-delete]");
    if (!confirm || !text || confirm.hidden) return;
    var id = confirm.getAttribute("hx-delete").split("/").pop();
    if (document.getElementById("session-" + id)) return;
    var hadFocus = confirm === document.activeElement;
    confirm.hidden = true;
    var msg = dialog.querySelector(".dialog-error");
    if (msg) {
      msg.textContent = text.getAttribute("data-message");
      msg.hidden = false;
    }
    var close = dialog.querySelector("[data-close]");
    if (close) {
      close.textContent = text.getAttribute("data-close");
      if (hadFocus) close.focus();
    }
  }
})();
