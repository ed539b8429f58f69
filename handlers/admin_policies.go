package handlers

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/locale"
	"github.com/docodego/sessions/views/rows"
)

// policiesPath is the policies page and its form's target.
const policiesPath = adminPath + "/security/policies"

// policyRow is one policy as the form shows it.
type policyRow struct {
	Name, Label, Help string
	Duration, Count   bool   // the input's kind; neither: a switch
	Value             string // the text field's value ("7d", "100")
	Checked           bool   // a switch that is on
	Source            string // from the environment, or set by an administrator
	Error             string // what is wrong with the value just sent
}

// policyHistoryRow is one change as the history table shows it.
type policyHistoryRow struct {
	At                  rows.Time
	Label, Old, New, By string
}

// policiesForm is partials/admin_policies: the form and the history, swapped whole.
type policiesForm struct {
	L       *locale.Localizer
	CSRF    string
	Rows    []policyRow
	Error   string // the refusal, naming the field
	Done    string
	History []policyHistoryRow
}

// policiesPage is /admin/security/policies.
type policiesPage struct {
	Layout
	Form policiesForm
}

// adminPolicies is GET /admin/security/policies.
func (h *Handler) adminPolicies(c *fiber.Ctx) error {
	form, err := h.newPoliciesForm(c, nil, nil, "")
	if err != nil {
		return err
	}
	l := h.localizer(c)
	return h.page(c, "pages/admin_policies", &policiesPage{Layout: h.layout(c, l.T("policy.title")), Form: form})
}

// setPolicies is POST /admin/security/policies: all of them, as the form sends them. A bad
// value answers 422 with the field named and the form as sent; nothing is changed.
func (h *Handler) setPolicies(c *fiber.Ctx) error {
	l := h.localizer(c)
	sent := func(name string) string { return formValue(c, name) }
	p, err := auth.ParsePolicy(sent)
	var res auth.PolicyResult
	if err == nil {
		res, err = h.auth.SetPolicy(c.UserContext(), *current(c), clientIP(c), p)
	}
	var in *auth.InputError
	if errors.As(err, &in) {
		form, ferr := h.newPoliciesForm(c, sent, in, "")
		if ferr != nil {
			return ferr
		}
		// 422 for htmx too: it does not swap (noSwap), and app.js shows the words, which
		// name the field, in the page's error line; the form keeps what was typed.
		c.Status(fiber.StatusUnprocessableEntity)
		return h.policiesAnswer(c, form)
	}
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(policiesPath+"?saved="+strconv.Itoa(len(res.Changed))+"&ended="+strconv.Itoa(res.Ended), fiber.StatusSeeOther)
	}
	form, err := h.newPoliciesForm(c, nil, nil, policiesDone(l, len(res.Changed), res.Ended))
	if err != nil {
		return err
	}
	return h.policiesAnswer(c, form)
}

func (h *Handler) policiesAnswer(c *fiber.Ctx, form policiesForm) error {
	if isHTMX(c) {
		return h.fragment(c, "partials/admin_policies", form)
	}
	return h.page(c, "pages/admin_policies", &policiesPage{Layout: h.layout(c, form.L.T("policy.title")), Form: form})
}

// policiesDone says what a save did.
func policiesDone(l *locale.Localizer, changed, ended int) string {
	if changed == 0 {
		return l.T("policy.unchanged")
	}
	return l.N("policy.saved", changed) + " " + l.N("policy.ended", ended)
}

// newPoliciesForm builds the form from the stored policies, or from what was sent (sent
// non-nil) with the refusal in shown on its field; done is the line after a save.
func (h *Handler) newPoliciesForm(c *fiber.Ctx, sent func(string) string, in *auth.InputError, done string) (policiesForm, error) {
	l := h.localizer(c)
	state, err := h.auth.Policies(c.UserContext())
	if err != nil {
		return policiesForm{}, err
	}
	if done == "" && sent == nil && c.Query("saved") != "" {
		saved, _ := strconv.Atoi(c.Query("saved"))
		ended, _ := strconv.Atoi(c.Query("ended"))
		done = policiesDone(l, saved, max(ended, 0))
	}
	f := policiesForm{L: l, CSRF: h.csrfToken(c), Done: done}
	values := state.Policy.Values()
	for _, field := range auth.PolicyFields {
		row := policyRow{Name: field.Name, Label: l.T("policy." + field.Name + ".label"), Help: l.T("policy." + field.Name + ".help"),
			Duration: field.Kind == auth.KindDuration, Count: field.Kind == auth.KindCount, Source: l.T("policy.source.env")}
		if state.Set[field.Name] {
			row.Source = l.T("policy.source.admin")
		}
		stored := values[field.Name]
		row.Value, row.Checked = policyText(field, stored), stored == "true"
		if sent != nil {
			row.Value, row.Checked = echoText(sent(field.Name)), sent(field.Name) != ""
		}
		if in != nil && in.Field == field.Name {
			row.Error = policyError(l, field, in.Code)
			f.Error = l.T("policy.error.field", "Field", row.Label, "Problem", row.Error)
		}
		f.Rows = append(f.Rows, row)
	}
	for _, ch := range state.History {
		field := policyField(ch.Name)
		f.History = append(f.History, policyHistoryRow{
			At:    rows.Time{ISO: isoTime(ch.ChangedAt), Text: l.DateTime(ch.ChangedAt)},
			Label: l.T("policy." + ch.Name + ".label"), Old: policyWords(l, field, ch.OldValue), New: policyWords(l, field, ch.NewValue),
			By: ch.ByEmail,
		})
	}
	return f, nil
}

func policyField(name string) auth.PolicyField {
	for _, f := range auth.PolicyFields {
		if f.Name == name {
			return f
		}
	}
	return auth.PolicyField{Name: name, Kind: auth.KindCount}
}

// policyText is a stored value as the form's text field shows it.
func policyText(f auth.PolicyField, stored string) string {
	n, _ := strconv.ParseInt(stored, 10, 64)
	if f.Kind == auth.KindDuration {
		return auth.FormatPolicyDuration(time.Duration(n) * time.Second)
	}
	return stored
}

// policyWords is a stored value in the history's words: "7d", "100", "On", "Off", "Off" for a rule at 0.
func policyWords(l *locale.Localizer, f auth.PolicyField, stored string) string {
	switch {
	case f.Kind == auth.KindSwitch && stored == "true":
		return l.T("policy.on")
	case f.Kind == auth.KindSwitch:
		return l.T("policy.off")
	case f.Off && stored == "0":
		return l.T("policy.off")
	}
	return policyText(f, stored)
}

// policyError is what is wrong with a field, with its bounds.
func policyError(l *locale.Localizer, f auth.PolicyField, code string) string {
	if code == "policy.error.remember_over_absolute" {
		return l.T(code)
	}
	lo, hi := strconv.FormatInt(f.Min, 10), strconv.FormatInt(f.Max, 10)
	if f.Kind == auth.KindDuration {
		lo, hi = auth.FormatPolicyDuration(time.Duration(f.Min)*time.Second), auth.FormatPolicyDuration(time.Duration(f.Max)*time.Second)
	}
	key := "policy.error.between"
	if f.Off {
		key = "policy.error.between_or_off"
	}
	if code == "policy.error.duration" {
		return l.T(code) + " " + l.T(key, "Min", lo, "Max", hi)
	}
	return l.T(key, "Min", lo, "Max", hi)
}
