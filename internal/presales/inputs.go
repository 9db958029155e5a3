package presales

import (
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
)

// InputField is the declared field whose label names an input of a
// process: an evaluation's "products" is stored in eval_products, a
// closing's "score.quality" in the score's quality.
type InputField struct {
	Entity *entity.Entity
	Field  string
	Text   i18n.Text // the label, for an input no single field stores
}

// Inputs maps the input names of one process to their fields.
type Inputs map[string]InputField

// Label names an input in lang by its field's label ("" when unknown).
func (in Inputs) Label(key string, l i18n.Lang) string {
	if f, ok := in[key]; ok {
		if f.Text.Zh != "" {
			return f.Text.In(l)
		}
		if fd := f.Entity.Field(f.Field); fd != nil {
			return fd.Label.In(l)
		}
	}
	return ""
}

func inputs(e *entity.Entity, pairs ...string) Inputs {
	out := Inputs{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = InputField{Entity: e, Field: pairs[i+1]}
	}
	return out
}

func scoreInputs(prefix string) Inputs {
	return inputs(crm.PresalesScore, prefix+"quality", "quality", prefix+"timeliness", "timeliness", prefix+"contribution", "contribution", prefix+"comment", "comment")
}

// The inputs of the request and solution processes.
var (
	EvaluationInputs = func() Inputs {
		out := Inputs{}
		for k, f := range crm.EvaluationFields {
			out[k] = InputField{Entity: crm.PresalesRequest, Field: f}
		}
		return out
	}()
	AssignInputs = inputs(crm.PresalesRequest, "engineer_ids", "engineers")
	CloseInputs  = func() Inputs {
		out := inputs(crm.PresalesRequest, "outcome", "outcome", "merged_into", "merged_into", "note", "close_note")
		for k, v := range scoreInputs("score.") {
			out[k] = v
		}
		out["score"] = InputField{Text: i18n.T("评分", "Score")}
		return out
	}()
	ScoreInputs  = scoreInputs("")
	ReviewInputs = inputs(crm.SolutionReview, "verdict", "verdict", "comment", "comment")
)
