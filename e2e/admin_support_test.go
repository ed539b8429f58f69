package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/docodego/sessions/auth"
)

const uaPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"

// Acceptance (issue 25): in Chromium an administrator ends a person's phone session with
// a reason on the support page; the phone's open security page lands on sign-in with that
// reason, and the person's page on their laptop shows the row "Ended by an administrator"
// (live, without a reload) and the event in their activity.
func TestAdminEndsAPhoneSessionWithAReason(t *testing.T) {
	srv := start(t)
	browser := startBrowser(t)
	laptop := newDeviceIn(t, browser, "laptop (Firefox)", uaFirefox)
	laptop.signUp(srv, "Pat Person", "pat@example.com")
	phone := newDeviceIn(t, browser, "phone (Safari)", uaPhone)
	phone.signIn(srv, "pat@example.com")
	admin := newDeviceIn(t, browser, "admin (Chrome)", uaChrome)
	admin.signUp(srv, "Ada Admin", "ada@example.com")
	if _, err := auth.NewRoster(srv.Store).Grant(context.Background(), "ada@example.com", "e2e", "e2e"); err != nil {
		t.Fatal(err)
	}
	laptop.open(srv.URL + securityPath)
	laptop.waitFor("the phone's row", `document.body.textContent.includes("iPhone")`)

	admin.open(srv.URL + "/admin/users")
	admin.do(chromedp.SendKeys(chromedp.ID("q"), "pat@"))
	admin.submit(`form[action="/admin/users"] button[type="submit"]`)
	admin.waitFor("the search result", `document.querySelector("#support-results a") !== null`)
	admin.submit(`#support-results a`)
	admin.waitFor("the person's page", `document.querySelector(".support-sessions") !== null`)
	admin.audit("support page of a person")
	form := eval[string](admin, `(function () {
		var li = Array.from(document.querySelectorAll(".support-sessions > li")).find(function (li) { return li.textContent.includes("iPhone"); });
		return li ? "#" + li.querySelector("form").id : "";
	})()`)
	if form == "" {
		t.Fatal("no phone row on the support page")
	}
	admin.do(
		chromedp.Evaluate[chromedp.Void](`document.querySelector("`+form+` select[name=reason]").value = "lost_device"`),
		chromedp.SendKeys(chromedp.CSS(form+` textarea[name="note"]`), "Pat called: phone stolen"),
	)
	admin.submit(form + ` button[type="submit"]`)
	admin.waitFor("the end to be confirmed", `(document.getElementById("support-done")||{}).textContent === "1 session ended."`)

	phone.waitFor("the phone to land on sign-in", `location.pathname === "/login" && location.search.includes("ended=admin")`)
	if got := phone.text(".notice"); !strings.Contains(got, "Ended by an administrator: the device was reported lost or stolen.") {
		t.Errorf("the phone's sign-in page says %q", got)
	}
	laptop.waitFor("the ended row", `document.getElementById("ended-sessions-card").textContent.includes("Ended by an administrator: the device was reported lost or stolen")`)
	laptop.waitFor("the activity event", `document.body.textContent.includes("An administrator ended the session on")`)
}
