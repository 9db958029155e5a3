package access

import "sort"

// UpgradeRoles brings a database's roles up to a newer shipped policy
// without undoing an admin's choices: shipped roles the database lacks are
// added, and the built-in roles gain the shipped rights on records no
// stored role has heard of (an area added since the roles were seeded —
// the role editor stores every record it shows, so a record absent from
// every role is new, not one an admin took away). declared says which
// records this build has. It returns the roles to save, in code order.
func UpgradeRoles(stored, shipped []Role, declared func(entity string) bool) []Role {
	known := map[string]bool{}
	byCode := map[string]*Role{}
	for i := range stored {
		byCode[stored[i].Code] = &stored[i]
		for e := range stored[i].Perms {
			known[e] = true
		}
	}
	var out []Role
	for _, s := range shipped {
		r, ok := byCode[s.Code]
		if !ok {
			add := s
			add.Perms = map[string]Perm{}
			for e, p := range s.Perms {
				if declared(e) {
					add.Perms[e] = p
				}
			}
			out = append(out, add)
			continue
		}
		if !r.BuiltIn {
			continue
		}
		changed := false
		for e, p := range s.Perms {
			if known[e] || !declared(e) {
				continue
			}
			if r.Perms == nil {
				r.Perms = map[string]Perm{}
			}
			r.Perms[e] = p
			changed = true
		}
		if changed {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
