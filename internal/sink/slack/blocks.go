package slack

// Slack's limits (Block Kit reference); a message over any of them is refused with
// invalid_blocks, so fit cuts every part to them before sending.
const (
	maxBlocks        = 50
	maxHeaderRunes   = 150
	maxSectionRunes  = 3000
	maxFields        = 10
	maxFieldRunes    = 2000
	maxContextItems  = 10
	maxContextRunes  = 3000
	maxFallbackRunes = 3000 // Slack truncates longer top-level text; notifications show far less
)

// message is an incoming webhook's body: text is what notifications and clients without
// Block Kit show, the attachment holds the blocks and the colour bar.
type message struct {
	Text        string       `json:"text"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	Color  string  `json:"color"`
	Blocks []block `json:"blocks"`
}

// block is a header, section or context block; the fields a type does not use stay empty.
type block struct {
	Type     string  `json:"type"`
	Text     *text   `json:"text,omitempty"`
	Fields   []*text `json:"fields,omitempty"`
	Elements []*text `json:"elements,omitempty"`
}

// text is a composition text object: plain_text (headers) or mrkdwn.
type text struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

func header(s string) block {
	return block{Type: "header", Text: &text{Type: "plain_text", Text: s, Emoji: true}}
}

func section(mrkdwn string) block {
	return block{Type: "section", Text: md(mrkdwn)}
}

func fieldsSection(fields []*text) block {
	return block{Type: "section", Fields: fields}
}

func contextBlock(elements ...*text) block {
	return block{Type: "context", Elements: elements}
}

func md(s string) *text { return &text{Type: "mrkdwn", Text: s} }

// fit cuts m to Slack's limits: too many blocks keep the first ones and the closing
// context, too many fields or context elements keep the first ones, long texts end in "…".
func fit(m message) message {
	m.Text = cut(m.Text, maxFallbackRunes)
	for i := range m.Attachments {
		a := &m.Attachments[i]
		if n := len(a.Blocks); n > maxBlocks {
			last := a.Blocks[n-1]
			a.Blocks = append(a.Blocks[:maxBlocks-2:maxBlocks-2], section("…"), last)
		}
		for j := range a.Blocks {
			fitBlock(&a.Blocks[j])
		}
	}
	return m
}

func fitBlock(b *block) {
	switch b.Type {
	case "header":
		b.Text.Text = cut(b.Text.Text, maxHeaderRunes)
	case "section":
		if b.Text != nil {
			b.Text.Text = cut(b.Text.Text, maxSectionRunes)
		}
		if len(b.Fields) > maxFields {
			b.Fields = b.Fields[:maxFields]
		}
		for _, f := range b.Fields {
			f.Text = cut(f.Text, maxFieldRunes)
		}
	case "context":
		if len(b.Elements) > maxContextItems {
			b.Elements = b.Elements[:maxContextItems]
		}
		for _, e := range b.Elements {
			e.Text = cut(e.Text, maxContextRunes)
		}
	}
}
