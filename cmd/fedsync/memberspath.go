package main

import (
	"fedsync/area"
	"fedsync/sync/sender"
)

// deliveryPath renders how an origin's data last arrived: "via 沈北新区"
// from the direct child on the path, "bypass via 虎石台街道" when that child
// was down and a node further down sent straight here, "-" for the node's
// own origin (and for data stored before paths were recorded).
func deliveryPath(via area.Code, bypass bool) string {
	switch {
	case via == "":
		return "-"
	case bypass:
		return "bypass via " + area.Name(via)
	}
	return "via " + area.Name(via)
}

// bypassNote says when the node sends to an ancestor above its parent: the
// parent area had no live server for bypass_after (gossip).
func bypassNote(up *sender.Status) string {
	if up.Parent == "" || up.Area.Parent() == up.Parent {
		return ""
	}
	p := up.Area.Parent()
	return " — bypassing " + area.Name(p) + " (" + string(p) + "), which has no live server"
}
