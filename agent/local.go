package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rtcstream/rtcstream/media"
)

// Espeak is text to speech with espeak-ng, run locally for each sentence
// (apt-get install espeak-ng): robotic, instant, and no network.
type Espeak struct {
	// Voice is espeak-ng's voice ("en-us", "en-gb", "de"); "" is its
	// default.
	Voice string
	// Speed is in words a minute; 0 is espeak-ng's default (175).
	Speed int
	// Command is the program; "" is "espeak-ng" on the PATH.
	Command string
}

// Speak implements TTS: the speech streams as espeak-ng writes it, in
// frames of 100 ms.
func (e *Espeak) Speak(ctx context.Context, text string) iter.Seq2[media.AudioFrame, error] {
	return func(yield func(media.AudioFrame, error) bool) {
		prog := e.Command
		if prog == "" {
			prog = "espeak-ng"
		}
		args := []string{"--stdout"}
		if e.Voice != "" {
			args = append(args, "-v", e.Voice)
		}
		if e.Speed > 0 {
			args = append(args, "-s", strconv.Itoa(e.Speed))
		}
		args = append(args, "--", text)
		cmd := exec.CommandContext(ctx, prog, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			yield(media.AudioFrame{}, fmt.Errorf("agent: espeak-ng: %w (apt-get install espeak-ng)", err))
			return
		}
		waited := false
		defer func() {
			if !waited {
				_ = cmd.Wait()
			}
		}()
		defer out.Close()
		// The WAV header (44 bytes from espeak-ng) gives the rate; the
		// samples follow as they are made.
		head := make([]byte, 44)
		if _, err := io.ReadFull(out, head); err != nil {
			if ctx.Err() != nil {
				return // cancelled: barge-in
			}
			waited = true
			werr := cmd.Wait() // stderr is whole once it has exited
			yield(media.AudioFrame{}, fmt.Errorf("agent: espeak-ng wrote no audio: %v (%v) %s", err, werr, strings.TrimSpace(stderr.String())))
			return
		}
		f, err := media.DecodeWAV(head)
		if err != nil || f.Channels != 1 {
			yield(media.AudioFrame{}, fmt.Errorf("agent: espeak-ng's audio: %v", err))
			return
		}
		streamPCM(out, f.SampleRate, yield)
	}
}

// PocketSphinx is speech to text with CMU PocketSphinx, run locally for
// each utterance (apt-get install pocketsphinx pocketsphinx-en-us): the one
// recogniser Debian packages with a model. It is offline and quick (about
// a second a turn), and far less accurate than Whisper: "What is the
// capital of France?" spoken by espeak-ng comes out as "what is it a lot
// on". Use it to try an agent without a network; use an
// OpenAITranscriber for people.
type PocketSphinx struct {
	// Command is the program; "" is "pocketsphinx_continuous" on the
	// PATH.
	Command string
	// Args are added to its command line (-hmm, -lm, -dict for another
	// language's model).
	Args []string
}

// Transcribe implements STT.
func (p *PocketSphinx) Transcribe(ctx context.Context, utterance media.AudioFrame) (string, error) {
	wav, err := wav16k(utterance)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "rtcstream-utterance-*.wav")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(wav)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	prog := p.Command
	if prog == "" {
		prog = "pocketsphinx_continuous"
	}
	args := append([]string{"-infile", f.Name(), "-logfn", os.DevNull}, p.Args...)
	cmd := exec.CommandContext(ctx, prog, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		var ee *exec.Error
		if errors.As(err, &ee) {
			return "", fmt.Errorf("agent: %s: %w (apt-get install pocketsphinx pocketsphinx-en-us)", prog, err)
		}
		return "", fmt.Errorf("agent: %s: %w: %s", prog, err, clip(strings.TrimSpace(stderr.String()), 300))
	}
	// One line of text per stretch of speech it heard.
	return strings.Join(strings.Fields(stdout.String()), " "), nil
}
