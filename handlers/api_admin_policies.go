package handlers

import (
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
)

// apiPolicyValue is a stored value as the JSON API shows it: a duration as the form writes
// it ("7d"), a count as a number, a switch as a boolean.
func apiPolicyValue(f auth.PolicyField, stored string) any {
	switch f.Kind {
	case auth.KindSwitch:
		return stored == "true"
	case auth.KindCount:
		n, _ := strconv.Atoi(stored)
		return n
	}
	return policyText(f, stored)
}

// apiAdminPolicies is GET /api/admin/policies: the rules in force, which an administrator
// set, and the latest changes.
func (h *Handler) apiAdminPolicies(c *fiber.Ctx) error {
	state, err := h.auth.Policies(c.UserContext())
	if err != nil {
		return err
	}
	values, policies, set := state.Policy.Values(), fiber.Map{}, []string{}
	for _, f := range auth.PolicyFields {
		policies[f.Name] = apiPolicyValue(f, values[f.Name])
		if state.Set[f.Name] {
			set = append(set, f.Name)
		}
	}
	history := make([]fiber.Map, 0, len(state.History))
	for _, ch := range state.History {
		f := policyField(ch.Name)
		history = append(history, fiber.Map{"policy": ch.Name, "old": apiPolicyValue(f, ch.OldValue),
			"new": apiPolicyValue(f, ch.NewValue), "by": ch.ByEmail, "at": ch.ChangedAt.UTC()})
	}
	return sendJSON(c, fiber.Map{"policies": policies, "set_by_admin": set, "history": history})
}

// apiSetAdminPolicies is PUT /api/admin/policies {"idle_timeout": "2h", "sign_in_mail": false,
// ...}: the fields given change, the others keep their values. An unknown field or a value
// of the wrong kind is 400 naming it; a value out of bounds 422 invalid_<field>; nothing
// changes then.
func (h *Handler) apiSetAdminPolicies(c *fiber.Ctx) error {
	var body map[string]json.RawMessage
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	state, err := h.auth.Policies(c.UserContext())
	if err != nil {
		return err
	}
	inForce, sent := state.Policy.Values(), map[string]string{}
	for name, raw := range body {
		f, ok := knownPolicy(name)
		if !ok {
			return apiError(c, fiber.StatusBadRequest, "unknown_"+name, "")
		}
		text, ok := policyFromJSON(f, raw)
		if !ok {
			return apiError(c, fiber.StatusBadRequest, "invalid_"+name, "")
		}
		sent[name] = text
	}
	p, err := auth.ParsePolicy(func(name string) string {
		if v, ok := sent[name]; ok {
			return v
		}
		f, _ := knownPolicy(name)
		if f.Kind == auth.KindSwitch {
			return map[bool]string{true: "on"}[inForce[name] == "true"]
		}
		return policyText(f, inForce[name])
	})
	if err != nil {
		return err // an InputError: 422 invalid_<field>
	}
	res, err := h.auth.SetPolicy(c.UserContext(), *current(c), clientIP(c), p)
	if err != nil {
		return err
	}
	changed := res.Changed
	if changed == nil {
		changed = []string{}
	}
	return sendJSON(c, fiber.Map{"changed": changed, "ended": res.Ended})
}

func knownPolicy(name string) (auth.PolicyField, bool) {
	for _, f := range auth.PolicyFields {
		if f.Name == name {
			return f, true
		}
	}
	return auth.PolicyField{}, false
}

// policyFromJSON is a JSON value as the form would send it; false for the wrong kind.
func policyFromJSON(f auth.PolicyField, raw json.RawMessage) (string, bool) {
	switch f.Kind {
	case auth.KindSwitch:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return "", false
		}
		return map[bool]string{true: "on"}[b], true
	case auth.KindCount:
		var n int
		if json.Unmarshal(raw, &n) != nil {
			return "", false
		}
		return strconv.Itoa(n), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
