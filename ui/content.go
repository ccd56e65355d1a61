package ui

import (
	"encoding/json"
	"reflect"
)

// HTML shows HTML: Gradio's gr.HTML. Its value is the application's own
// HTML and is written as is, never escaped: don't put text from a person in
// it (use Markdown or a Textbox). It has no box, and shows its label only
// when it has one. It is an Output (a function can replace it).
type HTML struct {
	Props

	// Value is the HTML. Default: empty.
	Value string
}

// ValueType is string.
func (h *HTML) ValueType() reflect.Type { return reflect.TypeFor[string]() }

// Encode takes a string of HTML.
func (h *HTML) Encode(v any) (json.RawMessage, error) {
	s, ok := toString(v)
	if !ok {
		return nil, valueErr(h, "got a %s; want a string of HTML", goKind(v))
	}
	return mustJSON(s), nil
}

// Render writes the label, if any, and the HTML.
func (h *HTML) Render(r *Renderer, id string) error {
	return r.Block(id, h, Block{Kind: "html", Value: mustJSON(h.Value), NoContainer: true}, func() error {
		r.Label(id, h, "")
		r.WriteString(`<div class="prose html-content">`)
		r.WriteString(h.Value)
		r.WriteString("</div>")
		return nil
	})
}

// Markdown shows text written in a small, safe subset of Markdown (see
// RenderMarkdown), rendered on the server: Gradio's gr.Markdown. Its value
// is the Markdown source. It has no box, and shows its label only when it
// has one. It is an Output.
type Markdown struct {
	Props

	// Value is the Markdown source. Default: empty.
	Value string
}

// markdownValue is how the page holds a Markdown's value: the source and
// the HTML the server made of it.
type markdownValue struct {
	Markdown string `json:"markdown"`
	HTML     string `json:"html"`
}

// ValueType is string.
func (m *Markdown) ValueType() reflect.Type { return reflect.TypeFor[string]() }

// Encode takes a string of Markdown and returns {"markdown", "html"}, the
// source and its rendering.
func (m *Markdown) Encode(v any) (json.RawMessage, error) {
	s, ok := toString(v)
	if !ok {
		return nil, valueErr(m, "got a %s; want a string of Markdown", goKind(v))
	}
	return mustJSON(markdownValue{Markdown: s, HTML: string(RenderMarkdown(s))}), nil
}

// Render writes the label, if any, and the rendered Markdown.
func (m *Markdown) Render(r *Renderer, id string) error {
	html := RenderMarkdown(m.Value)
	value := mustJSON(markdownValue{Markdown: m.Value, HTML: string(html)})
	return r.Block(id, m, Block{Kind: "markdown", Value: value, NoContainer: true}, func() error {
		r.Label(id, m, "")
		r.WriteString(`<div class="prose markdown-content">`)
		r.WriteString(string(html))
		r.WriteString("</div>")
		return nil
	})
}

// Chatbot shows a chat transcript: Gradio's gr.Chatbot with
// type="messages". Its value is a []Message; each message's Content is
// Markdown, rendered on the server. It is an Output.
type Chatbot struct {
	Props

	// Value is the initial transcript. Default: empty.
	Value []Message

	// Placeholder is shown while the transcript is empty. Default: none.
	Placeholder string
}

// Message is one message of a Chatbot's transcript.
type Message struct {
	// Role is "user", "assistant" or "system".
	Role string `json:"role"`
	// Content is the message, in Markdown.
	Content string `json:"content"`
}

// chatMessage is how the page holds a message: with its rendered HTML.
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	HTML    string `json:"html"`
}

func (c *Chatbot) check() error {
	_, err := c.encode(c.Value)
	return err
}

func (c *Chatbot) encode(msgs []Message) ([]chatMessage, error) {
	out := make([]chatMessage, len(msgs))
	for i, m := range msgs {
		switch m.Role {
		case "user", "assistant", "system":
		default:
			return nil, valueErr(c, "message %d has the role %q; want user, assistant or system", i, m.Role)
		}
		out[i] = chatMessage{Role: m.Role, Content: m.Content, HTML: string(RenderMarkdown(m.Content))}
	}
	return out, nil
}

// ValueType is []Message.
func (c *Chatbot) ValueType() reflect.Type { return reflect.TypeFor[[]Message]() }

// Encode takes a []Message whose roles are user, assistant or system, and
// returns it with each message's rendered HTML added ("html").
func (c *Chatbot) Encode(v any) (json.RawMessage, error) {
	var msgs []Message
	switch x := v.(type) {
	case []Message:
		msgs = x
	case nil:
	default:
		return nil, valueErr(c, "got a %s; want a []ui.Message", goKind(v))
	}
	out, err := c.encode(msgs)
	if err != nil {
		return nil, err
	}
	return mustJSON(out), nil
}

// Render writes the label and the transcript.
func (c *Chatbot) Render(r *Renderer, id string) error {
	msgs, err := c.encode(c.Value)
	if err != nil {
		return err
	}
	return r.Block(id, c, Block{Kind: "chatbot", Value: mustJSON(msgs)}, func() error {
		r.Label(id, c, "")
		r.WriteString(`<div class="chat-log" role="log"`)
		if c.Label != "" {
			r.Attr("aria-labelledby", id+"-label")
		}
		r.WriteString(`><div class="chat-placeholder"`)
		if len(msgs) > 0 || c.Placeholder == "" {
			r.WriteString(" hidden")
		}
		r.WriteString(">")
		r.Text(c.Placeholder)
		r.WriteString("</div>")
		for _, m := range msgs {
			r.WriteString(`<div class="message ` + m.Role + `"><div class="bubble prose">`)
			r.WriteString(m.HTML)
			r.WriteString("</div></div>")
		}
		r.WriteString("</div>")
		return nil
	})
}
