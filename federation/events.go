package federation

import "sync"

// dispatcher delivers events to Config.OnEvent from its own goroutine, so
// that memberlist (which reports changes while holding its node lock) never
// waits for the callback and the callback may call the Pool.
type dispatcher struct {
	fn func(Event)

	mu     sync.Mutex // guards queue and closed
	queue  []Event
	closed bool

	wake chan struct{} // capacity 1: "the queue is not empty"
	done chan struct{} // closed by stop
	wg   sync.WaitGroup
}

// newDispatcher starts the delivery goroutine; fn nil gives a dispatcher
// that drops everything.
func newDispatcher(fn func(Event)) *dispatcher {
	d := &dispatcher{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if fn != nil {
		d.wg.Add(1)
		go d.run()
	}
	return d
}

// push queues e without blocking.
func (d *dispatcher) push(e Event) {
	if d.fn == nil {
		return
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.queue = append(d.queue, e)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run() {
	defer d.wg.Done()
	for {
		select {
		case <-d.done:
			return
		case <-d.wake:
		}
		d.mu.Lock()
		batch := d.queue
		d.queue = nil
		d.mu.Unlock()
		for _, e := range batch {
			select {
			case <-d.done:
				return
			default:
			}
			d.fn(e)
		}
	}
}

// stop drops undelivered events and waits for the goroutine (and a callback
// in progress) to end. It must not be called from the callback.
func (d *dispatcher) stop() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed, d.queue = true, nil
	d.mu.Unlock()
	close(d.done)
	d.wg.Wait()
}
